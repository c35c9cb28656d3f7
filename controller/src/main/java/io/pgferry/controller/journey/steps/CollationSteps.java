package io.pgferry.controller.journey.steps;

import static io.pgferry.controller.journey.JourneyTable.C1_COLLATION;
import static io.pgferry.controller.journey.JourneyTable.C1_REINDEX;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.collation.CollationCheck;
import io.pgferry.controller.sql.collation.CollationPolicy;
import io.pgferry.controller.sql.collation.CollationReport;
import io.pgferry.controller.sql.collation.IndexRebuild;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Cutover 1's collation safety (#14): amcheck on B (a hot standby, nothing blocked yet) before anything is
 * blocked, and, when the plan says reindex, the broken indexes rebuilt on A after its promotion while writes are
 * still blocked.
 */
final class CollationSteps {
  static final String REINDEX_KEY = "reindex";

  private CollationSteps() {}

  static void build(Plan plan, Optional<NodeView> bView, Optional<NodeView> aView, Map<String, Step> steps) {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    List<String> check = new ArrayList<>(new CollationCheck(Endpoints.shown(plan, bView, b, plan.failover().adminUser()), null).describe());
    check.add("on_broken_index: " + plan.collation().onBrokenIndex().name().toLowerCase(Locale.ROOT)
        + " (stop: cutover 1 does not start; reindex: rebuilt on " + a + " after its promotion; report: journal only)");
    steps.put(C1_COLLATION, new FnStep(C1_COLLATION, check, ctx -> {
      CollationReport r = ctx.ports().collation().check(ctx.plan(), view(ctx, b), ctx.clock());
      CollationPolicy.Outcome o = CollationPolicy.decide(r, ctx.plan().collation().onBrokenIndex());
      if (o.stop().isPresent()) {
        throw new JourneyException(o.stop().get());
      }
      return new StepResult(o.summary(), Map.of(REINDEX_KEY, String.join("\n", o.reindex()),
          "broken", String.valueOf(r.broken().size()), "checked", r.amcheck() ? String.valueOf(r.atRisk().size()) : "0",
          "changed_collations", String.join(",", r.mismatched())));
    }));
    steps.put(C1_REINDEX, new FnStep(C1_REINDEX, IndexRebuild.describe("on " + a + " as " + plan.failover().adminUser()
        + ", writes still blocked", C1_COLLATION), ctx -> {
      List<String> indexes = indexesToRebuild(ctx.evidenceOf(C1_COLLATION).getOrDefault(REINDEX_KEY, ""));
      if (indexes.isEmpty()) {
        return StepResult.of("no index to rebuild");
      }
      try (Connection c = admin(ctx, a).connect(Purpose.SCHEMA)) {
        IndexRebuild.rebuild(c, indexes, ctx::progress);
      }
      return new StepResult("rebuilt " + indexes.size() + " index(es) on " + a + ": " + indexes,
          Map.of("rebuilt", String.join("\n", indexes)));
    }));
  }

  static List<String> indexesToRebuild(String evidence) {
    return evidence.isBlank() ? List.of() : Arrays.asList(evidence.strip().split("\n"));
  }

  private static NodeView view(StepContext ctx, String nodeId) throws JourneyException {
    return Goals.node(ctx.ports().nodes(), nodeId).filter(Goals::saidHello)
        .orElseThrow(() -> new JourneyException("node " + nodeId + " has not said where its PostgreSQL listens (no Hello"
            + " yet): its indexes cannot be checked"));
  }

  private static PgEndpoint admin(StepContext ctx, String nodeId) throws JourneyException {
    return Endpoints.admin(ctx.plan(), view(ctx, nodeId), ctx.plan().app().dbname());
  }
}
