package io.pgferry.controller.loop;

import io.pgferry.controller.failover.FailureDetector;
import io.pgferry.controller.journey.Intent;
import io.pgferry.controller.journey.JournalState;
import io.pgferry.controller.plan.Plan;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Everything one cycle of the {@link ControllerLoop} decides from, read once at its start and never changed: the
 * time, whether this controller leads, the applied plan, the journal, whether the engine runs a phase or the loop a
 * long action, the oldest intent an API call recorded, and what was seen of the nodes.
 */
public record LoopSnapshot(Instant now, boolean leading, Optional<Plan> plan, JournalState journal,
                           boolean engineRunning, Optional<String> actionInProgress, Optional<Intent> intent,
                           Nodes nodes) {

  /** This snapshot with what was seen of the nodes (taken after the journal said which watch applies). */
  LoopSnapshot withNodes(Nodes seen) {
    return new LoopSnapshot(now, leading, plan, journal, engineRunning, actionInProgress, intent, seen);
  }

  /**
   * Since when this controller watches (its start, or its term as leader: silence before it is not counted), A and B
   * as the failure detector takes them ({@code pair}; empty while either is unknown to the directory), A's link and
   * whether its synchronous_standby_names is set, and A and B as replicas before cutover 1.
   */
  public record Nodes(Instant watchingSince, Optional<FailureDetector.Snapshot> pair, boolean aConnected,
                      boolean aSynchronous, List<Replica> replicas) {
    /** Nothing looked at this cycle. */
    public static Nodes unseen(Instant watchingSince) {
      return new Nodes(watchingSince, Optional.empty(), false, false, List.of());
    }

    public Nodes {
      replicas = List.copyOf(replicas);
    }
  }

  /**
   * A node before cutover 1: {@code serving} its role now (fresh Status, its state, PostgreSQL up); {@code watched}
   * once it was seen serving (only then can it be lost); {@code agentFailing}: its agent reports FAILED.
   */
  public record Replica(FailureDetector.NodeSeen seen, boolean serving, boolean watched, boolean agentFailing,
                        String agentError) {}
}
