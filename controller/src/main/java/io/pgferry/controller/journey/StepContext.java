package io.pgferry.controller.journey;

import io.pgferry.controller.plan.Plan;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** What a running step may use: the plan, the outside world, time, the journal's memory, and the engine's flags. */
public interface StepContext {
  Plan plan();

  JourneyPorts ports();

  Clock clock();

  /** When this step was first started (the journal remembers across restarts), for timeouts and countdowns. */
  Instant stepStartedAt();

  /** When another step finished, if it has. */
  Optional<Instant> stepDoneAt(String stepId);

  /** Evidence another step recorded when it finished. */
  Map<String, String> evidenceOf(String stepId);

  /** Whether the journal asks for {@code nodeId} to be rebuilt (lost before cutover 1): its goal carries rebuild. */
  boolean rebuildRequested(String nodeId);

  /** Reports progress of a long step to whoever watches (status, CLI). */
  void progress(String line);

  /** A warning the journal keeps (and status shows) while the step goes on; callers rate-limit it. */
  default void warn(String line) {
    progress("WARNING " + line);
  }

  /** Waits one poll interval; throws {@link AbortedException} when an abort was requested and this wait may stop. */
  void pause() throws InterruptedException;

  /** Like {@link #pause()} for a given time (cutover waits poll faster: every second there is downtime). */
  void pause(Duration duration) throws InterruptedException;
}
