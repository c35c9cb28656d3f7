package io.pgferry.controller.daemon;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Issue #17 item 4: a controller that starts with a journey in progress continues it without `pgferry resume`. It
 * first gives the agents that hold goals a moment to reconnect (up to {@code reconnectBudget}), so the resumed steps
 * see fresh Status rather than an empty directory; then {@link JourneyService#resumeAfterRestart} decides from the
 * journal whether there is anything to resume. Runs on its own daemon thread: never on an event loop.
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
      try {
        Poll.untilTrue(Deadline.in(reconnectBudget), Duration.ofMillis(100), "agents holding goals to reconnect",
            () -> nodes.all().stream().filter(v -> v.goal() != null && v.goal().getGeneration() > 0)
                .allMatch(NodeView::connected));
      } catch (Poll.Timeout e) {
        LOG.info("auto-resume: not every agent holding a goal reconnected within " + reconnectBudget.toMillis()
            + " ms; resuming anyway (the steps wait for them)");
      }
      journey.resumeAfterRestart().ifPresent(msg -> LOG.info("auto-resume: " + msg));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "auto-resume failed; `pgferry resume` continues the journey", e);
    }
  }
}
