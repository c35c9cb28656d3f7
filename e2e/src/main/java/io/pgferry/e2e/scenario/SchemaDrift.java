package io.pgferry.e2e.scenario;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.Await;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A schema change the app makes during logical replication (DDL that logical replication does not carry): on a after
 * logical setup, then on T. A small data set syncs before LOGICAL_SETUP ends, and LOGICAL_SYNC would be over in
 * 0.1 s: the drift (pgferry's check holds cutover 2 until T has the change too) keeps the journey in LOGICAL_SYNC.
 */
final class SchemaDrift {
  private static final String MIGRATION =
      "ALTER TABLE billing.invoices ADD CONSTRAINT invoices_amount_not_negative CHECK (amount >= 0)";

  private final ScenarioEnvironment env;
  private final ScenarioFaults faults;
  private final Consumer<String> say;

  SchemaDrift(ScenarioEnvironment env, ScenarioFaults faults, Consumer<String> say) {
    this.env = env;
    this.faults = faults;
    this.say = say;
  }

  /**
   * The migration on a after setup, and on T: once pgferry reports the drift, or (with {@code failover}: a is killed
   * in LOGICAL_SYNC) once the app writes to b after the failover, so the failover's outage and cutover 2's stay apart.
   */
  List<JourneyHook> hooks(boolean failover) {
    List<JourneyHook> hooks = new ArrayList<>();
    hooks.add(new JourneyHook("the app's release adds a CHECK constraint on a after logical setup (schema drift)",
        JourneyTable.LS_STANDBY_SLOT, () -> migrate(env.rig().agentCluster("a"), "a")));
    if (failover) {
      hooks.add(faults.killNodeWhen("a", JourneyTable.SYNC_WAIT));
      hooks.add(new JourneyHook("the same migration on T once the app writes to b (resolves the drift)",
          JourneyTable.FO_REPOINT_SUBSCRIPTION, this::migrateTargetAfterFailover));
    } else {
      hooks.add(new JourneyHook("the same migration on T once pgferry reports the drift", JourneyTable.SYNC_WAIT,
          this::migrateTargetOnceReported));
    }
    return hooks;
  }

  private void migrateTargetAfterFailover() throws Exception {
    Ledger ledger = env.ledger();
    long killedAt = faults.aKilledAt();
    Await.until("the app to commit through " + env.app().describe() + " on b after the failover", Duration.ofSeconds(90),
        () -> ledger.firstAckAfterOutage(killedAt) > 0 && ledger.acknowledgedAfter(ledger.firstAckAfterOutage(killedAt)) >= 100,
        env::lastLedgerFailure);
    // PostgreSQL restarts T's apply worker up to wal_retrieve_retry_interval (5 s) after the repoint; until it
    // runs, T does not apply b's WAL and cutover 2's wait_applied would hold the app's writes for it
    Await.until("T's subscription to apply from b", Duration.ofSeconds(60), () -> "1".equals(env.target().queryValue(
        "SELECT count(*) FROM pg_stat_subscription WHERE subname = 'pgferry_sub' AND relid IS NULL AND pid IS NOT NULL"
        + " AND last_msg_receipt_time > now() - interval '1 second'")), () -> "no apply worker receiving from b");
    migrate(env.target(), "T");
  }

  private void migrateTargetOnceReported() throws Exception {
    var api = env.rig().api();
    Await.until("LOGICAL_SYNC to report the schema change on a", Duration.ofSeconds(60),
        () -> api.journey().map(j -> j.path("progress").asText().contains("schema changed")).orElse(false),
        () -> api.journey().map(j -> j.path("progress").asText()).orElse("?"));
    say.accept("     pgferry holds cutover 2: " + api.journey().map(j -> j.path("progress").asText()).orElse("?"));
    migrate(env.target(), "T");
  }

  private void migrate(PgCluster node, String name) throws SQLException {
    try (Connection c = SourceDatabase.connectAsSuperuser(node, SourceDatabase.APP_DB); Statement st = c.createStatement()) {
      st.execute(MIGRATION);
    }
    say.accept("     on " + name + ": " + MIGRATION);
  }
}
