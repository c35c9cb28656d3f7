package io.pgferry.controller.journey.steps;

import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.journey.WriteFence;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import java.util.List;
import java.util.Map;

/**
 * After A's promotion: lift the source's fence on A. The fence (ALTER DATABASE/ROLE ... SET
 * default_transaction_read_only) is in the catalog, so A replayed it with the source's last WAL; without this step
 * the app, once repointed, would find A read-only. Idempotent (RESET where set).
 */
final class LiftInheritedFenceStep extends IdempotentStep {
  LiftInheritedFenceStep(List<String> description) {
    super(JourneyTable.C1_LIFT_INHERITED_FENCE, description);
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    WriteFence fence = ctx.ports().fence();
    if (!ctx.plan().source().reachable() || fence == null) {
      return new StepResult("the source was not fenced: nothing for a to inherit", Map.of("lifted", "false"));
    }
    String a = ctx.plan().nodes().archiveReplica();
    NodeView view = ctx.ports().nodes().node(a).filter(Goals::saidHello)
        .orElseThrow(() -> new JourneyException("node " + a + " has not said where its PostgreSQL listens"));
    if (ctx.plan().nodes().certificates()) {
      fence.liftOnCopy(Endpoints.admin(ctx.plan(), view, ctx.plan().app().dbname()));
    } else {
      fence.liftOnCopy(view.hello().getHost(), view.hello().getPgPort());
    }
    return new StepResult("the fence " + a + " inherited from the source is lifted: " + a + " accepts the app's writes",
        Map.of("lifted", "true"));
  }
}
