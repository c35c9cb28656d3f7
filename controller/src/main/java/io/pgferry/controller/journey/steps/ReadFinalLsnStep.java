package io.pgferry.controller.journey.steps;

import io.pgferry.common.Lsn;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.sql.SegmentCloser;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the source's final WAL position once writes are blocked. Reading again later is harmless (the position
 * can only be the same or later, and waiting for the later one is right), so the step is idempotent.
 */
final class ReadFinalLsnStep extends IdempotentStep {
  ReadFinalLsnStep(List<String> description) {
    super(JourneyTable.C1_FINAL_LSN, description);
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    if (!ctx.plan().source().reachable()) {
      return new StepResult("source unreachable by plan: its final position is unknown; waiting out archive_timeout"
          + " instead", Map.of("final_lsn", ""));
    }
    Lsn fenced = Lsn.parse(ctx.evidenceOf(JourneyTable.C1_FENCE_SOURCE).getOrDefault("wal_lsn", ""));
    Lsn now = ctx.ports().source().currentWalLsn();
    Lsn last = now.compareTo(fenced) >= 0 ? now : fenced;
    SegmentCloser.Closed closed = ctx.ports().source().closeSegment();
    return new StepResult("the source's final WAL position is " + last + "; " + closed.sentence(),
        Map.of("final_lsn", last.toString(), "segment_closed_by", closed.how().name().toLowerCase(Locale.ROOT),
            "switched_wal", Boolean.toString(closed.how() == SegmentCloser.How.SWITCHED)));
  }
}
