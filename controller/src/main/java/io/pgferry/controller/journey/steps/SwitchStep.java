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

/** One action of the app switch (block, repoint to a node, unblock). AppSwitcher's actions are idempotent. */
final class SwitchStep extends IdempotentStep {
  enum Action { BLOCK, REPOINT, UNBLOCK }

  private final Action action;
  private final String nodeId;

  SwitchStep(String id, Action action, String nodeId, List<String> description) {
    super(id, description);
    this.action = action;
    this.nodeId = nodeId;
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
