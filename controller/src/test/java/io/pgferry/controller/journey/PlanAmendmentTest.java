package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JournalRecord.Event;
import io.pgferry.controller.plan.PlanDiff;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `pgferry apply --amend`: the difference of two plans, and which changed keys a started step used. */
class PlanAmendmentTest {
  private static final String PLAN = """
      source: {url: env:SRC}
      nodes:
        archive_replica: a
        standby: b
        replication_user: replicator
      target: {url: env:T}
      durability: sync
      thresholds: {max_lag_bytes: 100}
      """;

  private static JournalState doneUpTo(String... steps) {
    List<JournalRecord> records = new ArrayList<>();
    long seq = 0;
    records.add(new JournalRecord(++seq, "2026-01-01T00:00:00Z", Event.JOURNEY_STARTED, null, null, "started",
        Map.of("plan_sha256", "x")));
    for (String s : steps) {
      records.add(new JournalRecord(++seq, "2026-01-01T00:00:01Z", Event.STEP_STARTED, null, s, null, Map.of()));
      records.add(new JournalRecord(++seq, "2026-01-01T00:00:02Z", Event.STEP_DONE, null, s, "ok", Map.of()));
    }
    return JournalState.replay(records);
  }

  @Test
  void theDifferenceIsEveryLeafThatChanged() {
    String after = PLAN.replace("  replication_user: replicator\n", "")
        .replace("max_lag_bytes: 100", "max_lag_bytes: 200")
        + "logical:\n  replication_password: env:PGFERRY_REPL_PASSWORD\n  admin_password: hunter2\n";
    PlanDiff d = PlanDiff.between(PLAN, after);
    assertEquals(List.of("logical.admin_password", "logical.replication_password", "nodes.replication_user",
        "thresholds.max_lag_bytes"), d.keys());
    assertEquals(List.of("+ logical.admin_password: (a value, not shown)",
        "+ logical.replication_password: env:PGFERRY_REPL_PASSWORD", "- nodes.replication_user: replicator",
        "~ thresholds.max_lag_bytes: 100 -> 200"), d.changes().stream().map(PlanDiff.Change::line).toList());
    assertTrue(PlanDiff.between(PLAN, PLAN.replace("durability: sync", "durability: sync  # comment")).isEmpty());
  }

  @Test
  void aKeyAStartedStepUsedIsRefusedWithThatStep() {
    JournalState afterCutover1 = doneUpTo(JourneyTable.PREFLIGHT_CHECKS, JourneyTable.A_ASSIGN, JourneyTable.B_ASSIGN,
        JourneyTable.C1_BLOCK_APP, JourneyTable.C1_PROMOTE);
    String after = PLAN.replace("standby: b", "standby: c").replace("durability: sync", "durability: async")
        .replace("max_lag_bytes: 100", "max_lag_bytes: 1") + "logical: {replication_password: env:P}\n";
    assertEquals(List.of(
        "durability: used by cutover_1.promote_a (done); a change now would not reach what that step did",
        "nodes.standby: used by preflight.checks (done); a change now would not reach what that step did"),
        AmendmentRule.refusals(PlanDiff.between(PLAN, after), afterCutover1));
    // before B was given its goal, nodes may still change; the logical: block and limits always before LOGICAL_SETUP
    JournalState afterPreflight = doneUpTo(JourneyTable.PREFLIGHT_CHECKS, JourneyTable.A_ASSIGN);
    assertEquals(List.of("nodes.replication_user: used by archive_replica.assign_goal (done); a change now would not"
            + " reach what that step did"),
        AmendmentRule.refusals(PlanDiff.between(PLAN, PLAN.replace("replicator", "other")), afterPreflight));
    assertEquals(List.of(), AmendmentRule.refusals(PlanDiff.between(PLAN, PLAN.replace("durability: sync",
        "durability: async")), afterPreflight));
    JournalState atLogicalSync = doneUpTo(JourneyTable.LS_PREFLIGHT);
    assertEquals(List.of("logical.target_address: used by logical_setup.preflight (done); a change now would not reach"
            + " what that step did"),
        AmendmentRule.refusals(PlanDiff.between(PLAN, PLAN + "logical: {target_address: 10.0.0.1}\n"), atLogicalSync));
    assertEquals(List.of(), AmendmentRule.refusals(PlanDiff.between(PLAN, PLAN + "logical: {reverse_replication: true}\n"),
        atLogicalSync), "reverse replication is set up in cutover 2");
    assertEquals(List.of("unknown_key: used by preflight.checks (done); a change now would not reach what that step did"),
        AmendmentRule.refusals(PlanDiff.between(PLAN, PLAN + "unknown_key: 1\n"), afterPreflight));
  }
}
