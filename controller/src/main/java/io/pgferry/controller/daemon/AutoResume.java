package io.pgferry.controller.daemon;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.link.LinkDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.NodeState;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Issue #17 item 4: a controller that starts with a journey in progress continues it without `pgferry resume`. The
 * resumed steps need to know where each PostgreSQL listens: when the store kept that from before the restart
 * ({@link LinkDirectory#addressesKnown}) it resumes at once, while the agents redial; otherwise it first waits for
 * the agents that hold live goals (not FENCED or STOPPED: a failed-over primary may be gone for good) to reconnect
 * and say Hello (up to {@code reconnectBudget}). Steps that need an agent's fresh Status wait for it themselves (a
 * failover promotes B only once B's agent is linked again: docs/failsafe.md). First it prepares the resume
 * ({@link JourneyService#prepareResume}: the plan parsed, the steps built, their classes loaded); then
 * {@link JourneyService#resumeAfterRestart} decides from the journal whether there is anything to resume. Runs on its
 * own daemon thread: never on an event loop.
 */
final class AutoResume {
  private static final Logger LOG = Logger.getLogger(AutoResume.class.getName());

  private AutoResume() {}

  static Thread start(JourneyService journey, LinkDirectory nodes, Duration reconnectBudget) {
    return start(journey, nodes, reconnectBudget, new CompletableFuture<>(), Duration.ZERO);
  }

  /**
   * As above; {@code settled} completes once there is nothing to resume, the resume failed, or the phase it resumed
   * is over (the engine left it or stopped), but no later than {@code settleWithin} after the start.
   */
  static Thread start(JourneyService journey, LinkDirectory nodes, Duration reconnectBudget, CompletableFuture<Void> settled,
                      Duration settleWithin) {
    Thread t = new Thread(() -> {
      Deadline settle = Deadline.in(settleWithin);
      try {
        if (run(journey, nodes, reconnectBudget)) {
          Optional<Phase> resumed = journey.phaseNow();
          if (resumed.isPresent()) {
            Poll.untilTrue(settle, Duration.ofMillis(50), "the resumed phase to end", () -> !journey.runningIn(resumed.get()));
          }
        }
      } catch (Poll.Timeout e) {
        // the HTTP side starts anyway
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        LOG.log(Level.FINE, "auto-resume: " + e, e);
      } finally {
        settled.complete(null);
      }
    }, "pgferry-auto-resume");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Returns whether it resumed the journey. */
  private static boolean run(JourneyService journey, LinkDirectory nodes, Duration reconnectBudget) {
    long started = System.nanoTime();
    try {
      // parsed and built ahead of the journal's "resumed" record: measured, this path (prepare, then resume) reached
      // the first step 0.1 s sooner than a resume that parses and builds by itself
      if (!journey.prepareResume()) {
        return false; // no journey interrupted by a restart: nothing to wait for
      }
      long prepared = System.nanoTime();
      boolean addressed = nodes.addressesKnown();
      if (!addressed) {
        try {
          Poll.untilTrue(Deadline.in(reconnectBudget), Duration.ofMillis(20), "agents holding goals to reconnect",
              () -> nodes.all().stream().filter(AutoResume::liveGoal).allMatch(NodeView::connected));
        } catch (Poll.Timeout e) {
          LOG.info("auto-resume: not every agent holding a goal reconnected within " + reconnectBudget.toMillis()
              + " ms; resuming anyway");
        }
      }
      // where a restart's time goes (docs/ha.md "What a restart costs"); started: when the store was loaded
      long now = System.nanoTime();
      Optional<String> resumed = journey.resumeAfterRestart();
      if (resumed.isPresent()) {
        long uptimeMs = ManagementFactory.getRuntimeMXBean().getUptime();
        long sinceLoaded = (System.nanoTime() - started) / 1_000_000;
        LOG.info("auto-resume: the store loaded " + (uptimeMs - sinceLoaded) + " ms after the JVM started; " + (addressed
            ? "every node's address kept from before the restart: prepared in " + (prepared - started) / 1_000_000
              + " ms, resumed " + sinceLoaded + " ms after it, not waiting for the agents"
            : "resume prepared in " + (prepared - started) / 1_000_000 + " ms; agents holding goals back "
              + (now - started) / 1_000_000 + " ms after the store loaded"));
        LOG.info("auto-resume: " + resumed.get());
      }
      return resumed.isPresent();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "auto-resume failed; `pgferry resume` continues the journey", e);
    }
    return false;
  }

  private static boolean liveGoal(NodeView v) {
    return v.goal() != null && v.goal().getGeneration() > 0 && v.goal().getState() != NodeState.FENCED
        && v.goal().getState() != NodeState.STOPPED;
  }
}
