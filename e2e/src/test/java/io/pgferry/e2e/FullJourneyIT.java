package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole journey as ./demo runs it, with assertions: a "Heroku" source (the ledger and the seed's app schema),
 * agents a and b, the controller, the ledger through PgBouncer all along; cutover 1 to a, logical replication to T,
 * kill -9 of a's agent and postmaster during LOGICAL_SYNC (automatic failover to b), cutover 2 from b to T. On the
 * final primary T: the ledger lost 0 and duplicated 0; T equals the last source-side primary (b) table by table and
 * sequence by sequence; the write downtime of cutover 1, the failover and cutover 2 measured and printed. PG 15: every
 * PostgreSQL link over TLS and pg_hba scoped to named hosts ({@link TlsOnLinks}).
 */
class FullJourneyIT {
  @Test
  void pg15KillAInLogicalSyncThenCutover2() {
    JourneyResult r = ScenarioRuns.run("full-pg15", JourneyScenario.Options.wholeJourney(), s -> { },
        run -> TlsOnLinks.check(run, true));
    assertWholeJourney(r, true);
  }

  /** The seed's setup: PG 11 source, a and b on PG 11 (zonky binaries), T on PG 15. */
  @Test
  void pg11SourceKillAInLogicalSyncThenCutover2() {
    JourneyResult r = ScenarioRuns.run("full-pg11", JourneyScenario.Options.wholeJourney().pg(11));
    assertWholeJourney(r, true);
  }

  /**
   * PG 16, one of Heroku's current majors (source, a and b on 16, zonky binaries; T on 15). This host's pg_dump is
   * 15, which refuses a 16 source: the schema is put on T by hand first, as an operator would with pg_dump 16.
   */
  @Test
  void pg16SourceKillAInLogicalSyncThenCutover2() {
    JourneyResult r = ScenarioRuns.run("full-pg16", JourneyScenario.Options.wholeJourney().pg(16));
    assertWholeJourney(r, true);
  }

  /**
   * PG 17 end to end (source, a, b and T on 17, zonky binaries): the failover-slot path. The subscription's slot is a
   * failover slot that b syncs, so after b's promotion T continues from b's synced slot with no table re-synced.
   */
  @Test
  void pg17KillAInLogicalSyncThenCutover2() {
    JourneyResult r = ScenarioRuns.run("full-pg17", JourneyScenario.Options.wholeJourney().pg(17));
    assertWholeJourney(r, true);
    Map<String, String> slot = ScenarioRuns.events(r, "STEP_DONE", JourneyTable.LS_STANDBY_SLOT).get(0).evidence();
    assertEquals("true", slot.get("failover_slots"), "b keeps a synced failover slot, not a copy: " + slot);
    Map<String, String> lease = ScenarioRuns.events(r, "STEP_DONE", JourneyTable.FO_WAIT_LEASE).get(0).evidence();
    assertEquals("true", lease.get("b_slot_synced"), "b's failover slot synced when the promotion was decided: " + lease);
    List<JournalFile.Entry> repoint = ScenarioRuns.events(r, "STEP_DONE", JourneyTable.FO_REPOINT_SUBSCRIPTION);
    assertEquals(1, repoint.size(), "the subscription moved to b once: " + repoint);
    Map<String, String> moved = repoint.get(0).evidence();
    assertEquals("true", moved.get("safe"), "T continues from b's synced slot (position proven): " + moved);
    assertFalse(moved.containsKey("resynced") || moved.containsKey("tables_at_risk"), "no table re-synced on T: " + moved);
  }

  static void assertWholeJourney(JourneyResult r, boolean failover) {
    print(r);
    assertTrue(r.problems().isEmpty(), String.join("\n", r.problems()));
    assertEquals("FINISHED", r.journeyState, r.journeyMessage);
    for (String phase : List.of("PREFLIGHT", "ARCHIVE_REPLICA", "STANDBY", "CUTOVER_1", "LOGICAL_SETUP", "LOGICAL_SYNC", "CUTOVER_2")) {
      assertTrue(r.phaseDone(phase), phase + " done: " + r.phases);
    }
    assertEquals(0, r.ledger.lost(), "lost on T");
    assertEquals(0, r.ledger.duplicated(), "duplicated on T");
    assertTrue(r.acknowledgedAfterCutover2 > 0, "the app writes to T after cutover 2");
    assertEquals(failover ? "b" : "a", r.lastSourcePrimary);
    assertEquals(failover ? 8 : 6, r.tables.size(), "the ledger and the five tables of the app schema"
        + (failover ? ", and the two the release on b created: " : ": ") + r.tables);
    r.tables.forEach(t -> assertTrue(t.equal(), t.toString()));
    assertTrue(r.tables.stream().anyMatch(t -> t.table().equals("public.audit_log") && t.onTarget() == 100),
        "the table without a primary key (replica identity full) on T: " + r.tables);
    assertEquals(7, r.sequences.size(), "serial, bigserial, identity, ledger and free-standing sequences: " + r.sequences);
    r.sequences.forEach(q -> assertTrue(q.equal(), q.toString()));
    assertTrue(r.sequences.stream().anyMatch(q -> q.sequence().equals("public.never_called") && q.onTarget().endsWith("not called")),
        "a never-called sequence stays not called on T: " + r.sequences);
    assertTrue(r.downtime.containsKey("cutover_1") && r.downtime.containsKey("cutover_2"), "downtimes: " + r.downtime);
    assertEquals(1, ScenarioRuns.events(r, "STEP_DONE", JourneyTable.C2_SEQUENCES).size(), "sequences set once");
    assertEquals("0", ScenarioRuns.events(r, "STEP_DONE", JourneyTable.C2_VERIFY).get(0).evidence().get("mismatched_tables"));
    if (failover) {
      assertTrue(r.phaseDone("FAILOVER"), r.phases.toString());
      assertTrue(r.downtime.containsKey("failover"), "failover time measured: " + r.downtime);
      assertEquals(1, ScenarioRuns.events(r, "STEP_DONE", JourneyTable.FO_PROMOTE_B).size(), "b promoted once");
      assertFalse(r.failoverSplit.isEmpty(), "failover split from the journal");
    }
  }

  private static void print(JourneyResult r) {
    System.out.printf("full journey PG %d: %s; downtime %s; failover split %s; app errors around the failover %s;"
        + " cutover 2 steps %s; DDL %d recorded, %d applied on T; VACUUM (ANALYZE) of %d table(s) on T: %.2f s%n", r.pgMajor,
        r.journeyState, seconds(r.downtime), seconds(r.failoverSplit), r.failoverErrors, seconds(r.cutover2Steps), r.ddlRecorded,
        r.ddlApplied, r.analyzedTables, r.analyzeSeconds);
    r.tables.forEach(t -> System.out.println("  table " + t));
    r.sequences.forEach(q -> System.out.println("  sequence " + q));
    if (r.ledger != null) {
      System.out.println("  ledger on T: " + r.ledger.summary());
    }
  }

  private static String seconds(Map<String, Duration> m) {
    StringBuilder sb = new StringBuilder("{");
    m.forEach((k, v) -> sb.append(sb.length() == 1 ? "" : ", ").append(k).append('=').append(String.format("%.2f s", v.toNanos() / 1e9)));
    return sb.append('}').toString();
  }
}
