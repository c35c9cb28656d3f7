package io.pgferry.controller.journey.steps;

import static io.pgferry.controller.journey.JourneyTable.FIN_DROP_SLOTS;
import static io.pgferry.controller.journey.JourneyTable.FIN_DROP_SUBSCRIPTION;
import static io.pgferry.controller.journey.JourneyTable.FIN_STOP_PRIMARY;
import static io.pgferry.controller.journey.JourneyTable.FIN_STOP_STANDBY;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.logical.Leftovers;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.controller.sql.logical.SubscriptionTeardown;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * `pgferry finish` ({@link JourneyTable#FINISH}): after DONE, the subscription on T is dropped (its slot detached
 * first, so the drop never reaches for a publisher that may be gone), the standby stopped, pgferry's slots and
 * publication dropped on the old primary (A, or B after a failover), then the old primary stopped. T is not touched
 * otherwise.
 */
final class FinishSteps {
  private static final Duration RELEASE = Duration.ofSeconds(60);
  private static final Duration STOP = Duration.ofMinutes(2);

  private FinishSteps() {}

  static void build(Plan plan, Map<String, Step> steps) {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    boolean reverse = plan.logical().reverseReplication();
    LogicalNames names = LogicalNames.DEFAULT;
    String oldPrimary = "the old primary (" + a + ", or " + b + " after a failover)";
    List<String> subLines = new ArrayList<>(List.of("on T: ALTER SUBSCRIPTION " + names.subscription() + " DISABLE;"
        + " ALTER SUBSCRIPTION " + names.subscription() + " SET (slot_name = NONE); DROP SUBSCRIPTION "
        + names.subscription() + "  -- each only if it is there (cutover 2 dropped it already)"));
    if (reverse) {
      subLines.add("on " + oldPrimary + ": the same for the reverse subscription " + LogicalNames.REVERSE.subscription()
          + " (skipped when it is unreachable)");
    }
    steps.put(FIN_DROP_SUBSCRIPTION, new FnStep(FIN_DROP_SUBSCRIPTION, subLines, ctx -> {
      List<String> did = new ArrayList<>(SubscriptionTeardown.dropSubscription(LogicalEndpoints.t(ctx.plan()), names));
      if (reverse) {
        try {
          did.addAll(SubscriptionTeardown.dropSubscription(LogicalEndpoints.a(ctx), LogicalNames.REVERSE));
        } catch (Exception e) {
          did.add("reverse subscription not dropped on " + LogicalEndpoints.publisherId(ctx) + " (" + e.getMessage() + ")");
        }
      }
      return result(did, "no subscription left on T");
    }));
    steps.put(FIN_STOP_STANDBY, stopStep(FIN_STOP_STANDBY, "the standby (" + b + ", or " + a + " after a failover)",
        ctx -> standbyId(ctx)));
    List<String> dropLines = new ArrayList<>(Leftovers.describe(oldPrimary, List.of(names.publication())));
    if (reverse) {
      dropLines.addAll(Leftovers.describe("T", List.of(LogicalNames.REVERSE.publication())));
    }
    steps.put(FIN_DROP_SLOTS, new FnStep(FIN_DROP_SLOTS, dropLines, ctx -> {
      List<String> did = new ArrayList<>(Leftovers.drop(LogicalEndpoints.a(ctx), List.of(names.publication()), RELEASE));
      if (reverse) {
        did.addAll(Leftovers.drop(LogicalEndpoints.t(ctx.plan()), List.of(LogicalNames.REVERSE.publication()), RELEASE));
      }
      return result(did, "no pgferry slot or publication left");
    }));
    steps.put(FIN_STOP_PRIMARY, stopStep(FIN_STOP_PRIMARY, oldPrimary, LogicalEndpoints::publisherId));
  }

  private interface NodeChoice {
    String id(StepContext ctx);
  }

  private static String standbyId(StepContext ctx) {
    Plan plan = ctx.plan();
    return LogicalEndpoints.publisherId(ctx).equals(plan.nodes().archiveReplica()) ? plan.nodes().standby()
        : plan.nodes().archiveReplica();
  }

  /** Goal STOPPED, then wait until the node's agent reports it (an agent not connected gets the goal when it is back). */
  private static Step stopStep(String id, String what, NodeChoice node) {
    return new FnStep(id, List.of("goal of " + what + " := STOPPED (pg_ctl stop -m fast); wait until its agent"
        + " reports STOPPED (up to " + STOP.toMinutes() + " min; an agent that is not connected gets the goal when it"
        + " is back)"), ctx -> {
      String nodeId = node.id(ctx);
      NodeDirectory nodes = ctx.ports().nodes();
      Goal held = nodes.node(nodeId).map(NodeView::goal).orElse(null);
      if (held == null || held.getState() != NodeState.STOPPED) {
        nodes.assign(nodeId, Goal.newBuilder().setState(NodeState.STOPPED).build());
      }
      Optional<NodeView> v = nodes.node(nodeId);
      if (v.isEmpty() || !v.get().connected()) {
        return new StepResult(nodeId + " is not connected: it holds goal STOPPED and stops when its agent is back",
            Map.of("node", nodeId, "stopped", "pending"));
      }
      Poll.untilTrue(Deadline.after(ctx.clock(), ctx.stepStartedAt(), STOP), Duration.ofMillis(500), ctx::pause,
          nodeId + " to stop", () -> nodes.node(nodeId).map(n -> !n.connected() || n.status() != null
              && n.status().getState() == NodeState.STOPPED).orElse(true));
      return new StepResult(nodeId + " stopped", Map.of("node", nodeId, "stopped", "true"));
    });
  }

  private static StepResult result(List<String> did, String none) {
    return new StepResult(did.isEmpty() ? none + " (nothing to do)" : String.join("; ", did), Map.of());
  }
}
