package io.pgferry.controller.journey.steps;

import io.pgferry.common.Lsn;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.journey.WriteFence;
import java.util.List;
import java.util.Map;

/** Fences the source database (or lifts the fence, on undo). Without a source URL there is nothing to fence. */
final class FenceStep extends IdempotentStep {
  private final boolean lift;

  FenceStep(String id, boolean lift, List<String> description) {
    super(id, description);
    this.lift = lift;
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    WriteFence fence = ctx.ports().fence();
    if (!ctx.plan().source().reachable() || fence == null) {
      return new StepResult("no source.url in the plan: the source database is not " + (lift ? "fenced" : "fenced;"
          + " only the app switch stops writes"), Map.of("fenced", "false"));
    }
    if (lift) {
      if (!fence.isFenced()) {
        return new StepResult("the source is not fenced: nothing to lift", Map.of("fenced", "false"));
      }
      fence.lift();
      return new StepResult("source fence lifted: the source accepts writes again", Map.of("fenced", "false"));
    }
    Lsn stopped = fence.fence();
    return new StepResult("source fenced: read-only, app sessions ended, WAL stopped at " + stopped,
        Map.of("fenced", "true", "wal_lsn", stopped.toString()));
  }
}
