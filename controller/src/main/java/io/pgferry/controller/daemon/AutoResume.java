package io.pgferry.controller.daemon;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.NodeState;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Issue #17 item 4: a controller that starts with a journey in progress continues it without `pgferry resume`. It
 * first waits for the agents that hold live goals (not FENCED or STOPPED: a failed-over primary may be gone for
 * good) to reconnect and say Hello (up to {@code reconnectBudget}), so the resumed steps find where each PostgreSQL
 * listens and fresh Status rather than an empty directory; then {@link JourneyService#resumeAfterRestart} decides
 * from the journal whether there is anything to resume. While the agents reconnect it prepares the resume
 * ({@link JourneyService#prepareResume}: the plan parsed, the steps built, their classes loaded), so the first step
 * runs as soon as they are back. Runs on its own daemon thread: never on an event loop.
 */
final class AutoResume {
  private static final Logger LOG = Logger.getLogger(AutoResume.class.getName());

  private AutoResume() {}

  static Thread start(JourneyService journey, NodeDirectory nodes, Duration reconnectBudget) {
    Thread t = new Thread(() -> run(journey, nodes, reconnectBudget), "pgferry-auto-resume");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void run(JourneyService journey, NodeDirectory nodes, Duration reconnectBudget) {
    try {
      if (!journey.prepareResume()) {
        return; // no journey interrupted by a restart: nothing to wait for
      }
      try {
        Poll.untilTrue(Deadline.in(reconnectBudget), Duration.ofMillis(50), "agents holding goals to reconnect",
            () -> nodes.all().stream().filter(AutoResume::liveGoal).allMatch(v -> v.connected() && v.hello() != null));
      } catch (Poll.Timeout e) {
        LOG.info("auto-resume: not every agent holding a goal reconnected within " + reconnectBudget.toMillis()
            + " ms; resuming anyway");
      }
      journey.resumeAfterRestart().ifPresent(msg -> LOG.info("auto-resume: " + msg));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "auto-resume failed; `pgferry resume` continues the journey", e);
    }
  }

  private static boolean liveGoal(NodeView v) {
    return v.goal() != null && v.goal().getGeneration() > 0 && v.goal().getState() != NodeState.FENCED
        && v.goal().getState() != NodeState.STOPPED;
  }
}
