package io.pgferry.controller.journey.steps;

import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.switching.AppSwitcher;
import io.pgferry.controller.switching.DatabaseEndpoint;
import java.util.List;
import java.util.Map;

/**
 * One action of the app switch (block, repoint to a node, unblock). AppSwitcher's actions are idempotent. The
 * description is the switcher's own for that action ({@code shown}: the switcher the journey will run, or null when
 * there is none).
 */
final class SwitchStep extends IdempotentStep {
  enum Action { BLOCK, REPOINT, UNBLOCK }

  private final Action action;
  private final String nodeId;

  private SwitchStep(String id, Action action, String nodeId, List<String> description) {
    super(id, description);
    this.action = action;
    this.nodeId = nodeId;
  }

  static SwitchStep block(String id, AppSwitcher shown) {
    return new SwitchStep(id, Action.BLOCK, null, shown == null ? List.of() : shown.describeBlock());
  }

  /** @param shownTarget the node's endpoint as far as known when describing ({@link Endpoints#appShown}) */
  static SwitchStep repoint(String id, String nodeId, AppSwitcher shown, DatabaseEndpoint shownTarget) {
    return new SwitchStep(id, Action.REPOINT, nodeId, shown == null ? List.of() : describeRepoint(shown, shownTarget));
  }

  static SwitchStep unblock(String id, AppSwitcher shown) {
    return new SwitchStep(id, Action.UNBLOCK, null, shown == null ? List.of() : shown.describeUnblock());
  }

  /** The switcher's repoint lines, an unknown port (0) shown as {@code <port of node>}. */
  static List<String> describeRepoint(AppSwitcher shown, DatabaseEndpoint target) {
    if (target.port() != 0) {
      return shown.describeRepoint(target);
    }
    String node = target.host().replaceAll("^<host of (.*)>$", "$1");
    return shown.describeRepoint(target).stream()
        .map(l -> l.replace(":0/", ":<port of " + node + ">/").replace("port=0", "port=<port of " + node + ">")).toList();
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    AppSwitcher s = ctx.ports().switcher();
    switch (action) {
      case BLOCK -> {
        s.blockWrites();
        return StepResult.of("app writes blocked (" + s.name() + ")");
      }
      case UNBLOCK -> {
        s.unblock();
        return StepResult.of("app writes unblocked (" + s.name() + ")");
      }
      default -> {
        DatabaseEndpoint target = endpoint(ctx.plan(), ctx.ports().nodes().node(nodeId).orElse(null), nodeId);
        DatabaseEndpoint before = s.current();
        if (!target.equals(before)) {
          s.repoint(target);
        }
        DatabaseEndpoint after = s.current();
        if (!sameDatabase(after, target)) {
          throw new JourneyException("repointed the app to " + target.redactedUrl() + " but " + s.name()
              + " reads back " + after.redactedUrl());
        }
        return new StepResult("app points to " + target.redactedUrl() + " (was " + before.redactedUrl() + ")",
            Map.of("endpoint", target.redactedUrl(), "previous", before.redactedUrl()));
      }
    }
  }

  static DatabaseEndpoint endpoint(Plan plan, NodeView node, String nodeId) throws JourneyException {
    if (node == null || node.hello() == null || node.hello().getHost().isEmpty()) {
      throw new JourneyException("node " + nodeId + " has not said where its PostgreSQL listens (no Hello yet)");
    }
    return Endpoints.app(plan, node);
  }

  private static boolean sameDatabase(DatabaseEndpoint a, DatabaseEndpoint b) {
    return a != null && a.host().equals(b.host()) && a.port() == b.port() && a.dbname().equals(b.dbname());
  }
}
