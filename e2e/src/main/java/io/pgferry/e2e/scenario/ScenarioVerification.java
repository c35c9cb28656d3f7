package io.pgferry.e2e.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.testkit.Await;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What the journey left, checked against the app's writes: after cutover 1, the ledger on a and the topology (b
 * streaming from a on a's timeline, as many rows on b); after cutover 2, the ledger on T and T against the last
 * source-side primary table by table and sequence by sequence.
 */
final class ScenarioVerification {
  private final ScenarioEnvironment env;
  private final ScenarioOutcome outcome;
  private final JourneyResult result;
  private final Consumer<String> say;

  ScenarioVerification(ScenarioEnvironment env, ScenarioOutcome outcome, JourneyResult result, Consumer<String> say) {
    this.env = env;
    this.outcome = outcome;
    this.result = result;
    this.say = say;
  }

  /**
   * After cutover 2: the ledger on T (the final primary), T against the last source-side primary (A, or B after the
   * failover) table by table and sequence by sequence.
   */
  void afterCutover2() throws Exception {
    long c1Done = doneAt("CUTOVER_1");
    long c2Done = doneAt("CUTOVER_2");
    Ledger ledger = appWritesAfter("cutover 2");
    result.lastSourcePrimary = outcome.timings(ledger).last("STEP_DONE", JourneyTable.FO_PROMOTE_B).isPresent() ? "b" : "a";
    outcome.timings(ledger).last("STEP_DONE", JourneyTable.SYNC_ANALYZE).ifPresent(e -> {
      result.analyzedTables = Integer.valueOf(e.evidence().get("tables"));
      result.analyzeSeconds = Double.valueOf(e.evidence().get("seconds"));
    });
    PgCluster last = env.rig().agentCluster(result.lastSourcePrimary);
    Set<String> appTables = Set.of(JourneyScenario.LEDGER_TABLE, JourneyScenario.WORKER_TABLE);
    try (Connection onT = env.target().connect(SourceDatabase.APP_DB);
         Connection onLast = SourceDatabase.connectAsSuperuser(last, SourceDatabase.APP_DB)) {
      result.ledger = ledger.verify(onT);
      result.acknowledgedAfterCutover1 = ledger.acknowledgedAfter(c1Done);
      result.acknowledgedAfterCutover2 = ledger.acknowledgedAfter(c2Done);
      result.tables.clear();
      result.tables.addAll(TargetCheck.tables(onLast, onT, appTables));
      result.sequences.clear();
      result.sequences.addAll(TargetCheck.sequences(onLast, onT, appTables));
      result.ddlRecorded = count(onT, "pgferry.ddl_log");
      result.ddlApplied = count(onT, "pgferry.ddl_applied");
    }
    if (result.pgMajor == 15) {
      result.schemaDifferences = SchemaDumps.differences(last, SourceDatabase.SUPERUSER_PASSWORD, env.target(), SourceDatabase.APP_DB);
    }
    long tablesEqual = result.tables.stream().filter(JourneyResult.TableCheck::equal).count();
    long sequencesEqual = result.sequences.stream().filter(JourneyResult.SequenceCheck::equal).count();
    say.accept("  T against " + result.lastSourcePrimary + ": " + tablesEqual + "/" + result.tables.size() + " tables equal, "
        + sequencesEqual + "/" + result.sequences.size() + " sequences equal; ledger on T: " + result.ledger.summary());
  }

  /** After cutover 1: the ledger (and the worker dyno's) on a, b streaming from a with every row a holds. */
  void afterCutover1() throws Exception {
    long cutoverDone = result.journal.stream().filter(e -> e.is("PHASE_DONE", "CUTOVER_1")).findFirst()
        .map(e -> nanosOf(e.at())).orElse(Long.MAX_VALUE);
    Ledger ledger = appWritesAfter("cutover 1");
    Rig rig = env.rig();
    PgCluster a = rig.agentCluster("a");
    PgCluster b = rig.agentCluster("b");
    try (Connection onA = SourceDatabase.connectAsSuperuser(a, SourceDatabase.APP_DB)) {
      result.ledger = ledger.verify(onA);
      result.acknowledgedAfterCutover1 = ledger.acknowledgedAfter(cutoverDone);
      if (env.worker() != null) {
        Instant fencedAt = result.journal.stream().filter(e -> e.is("STEP_DONE", JourneyTable.C1_FENCE_SOURCE))
            .findFirst().map(JournalFile.Entry::at).orElse(null);
        long fencedNanos = fencedAt == null ? Long.MAX_VALUE : nanosOf(fencedAt);
        var report = env.worker().verify(onA);
        long failedAfter = report.failures().stream().filter(f -> f.atNanos() > fencedNanos).count();
        result.worker = new JourneyResult.Worker(report, failedAfter, fencedAt,
            timestamp(onA, "SELECT max(written_at) FROM " + JourneyScenario.WORKER_TABLE));
      }
    }
    int sourceTimeline = Integer.parseInt(env.source().cluster().queryValue("SELECT timeline_id FROM pg_control_checkpoint()"));
    Await.until("b to stream from a on a's timeline", Duration.ofSeconds(60), () -> {
      JsonNode as = rig.api().node("a").orElseThrow().path("status");
      JsonNode bs = rig.api().node("b").orElseThrow().path("status");
      return bs.path("timeline").asInt() == as.path("timeline").asInt() && "streaming".equals(bs.path("wal_receiver_status").asText());
    }, () -> rig.api().node("b").map(n -> n.path("status").toString()).orElse("?"));
    long rowsOnA = count(a);
    Await.until("b to hold every ledger row a holds", Duration.ofSeconds(60), () -> count(b) == rowsOnA,
        () -> count(b) + " rows on b, " + rowsOnA + " on a");
    JsonNode as = rig.api().node("a").orElseThrow().path("status");
    JsonNode bs = rig.api().node("b").orElseThrow().path("status");
    result.topology = new JourneyResult.Topology(sourceTimeline, as.path("timeline").asInt(),
        as.path("in_recovery").asBoolean(), bs.path("timeline").asInt(), bs.path("state").asText(),
        bs.path("wal_receiver_status").asText(),
        query(a, "SELECT string_agg(application_name || ' ' || state || ' ' || sync_state, ', ') FROM pg_stat_replication"),
        rowsOnA, count(b));
  }

  /** The ledger, once it committed 100 more rows after {@code cutover}. */
  private Ledger appWritesAfter(String cutover) {
    Ledger ledger = env.ledger();
    if (!ledger.awaitMore(100, Duration.ofSeconds(60))) {
      throw new IllegalStateException("the app does not write after " + cutover + ": " + env.lastLedgerFailure());
    }
    return ledger;
  }

  private long doneAt(String phase) {
    return outcome.timings(env.ledger()).last("PHASE_DONE", phase).map(e -> nanosOf(e.at())).orElse(Long.MAX_VALUE);
  }

  private long nanosOf(Instant at) {
    return outcome.timings(env.ledger()).nanosOf(at);
  }

  private static long count(PgCluster c) {
    try (Connection conn = SourceDatabase.connectAsSuperuser(c, SourceDatabase.APP_DB); Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*) FROM " + JourneyScenario.LEDGER_TABLE)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      return -1;
    }
  }

  private static String query(PgCluster c, String sql) throws SQLException {
    try (Connection conn = SourceDatabase.connectAsSuperuser(c, "postgres"); Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static Instant timestamp(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() && rs.getTimestamp(1) != null ? rs.getTimestamp(1).toInstant() : null;
    }
  }

  private static long count(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT CASE WHEN to_regclass('" + table + "') IS NULL THEN 0 ELSE (SELECT count(*) FROM " + table + ") END")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }
}
