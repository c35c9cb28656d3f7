package io.pgferry.e2e.scenario;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.Await;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * The app's release during logical replication: DDL on the publisher after logical setup, which pgferry records there
 * and runs on T in the apply worker, in commit order with the ledger's rows (issue 16). No one touches T's schema.
 * With {@code failover} (a killed in LOGICAL_SYNC) the journey must stand in LOGICAL_SYNC when a dies: a's CHECK
 * constraint is added by a session pgferry does not record (named pgferry-*), so the schema drift check, the safety
 * net, holds LOGICAL_SYNC until the constraint is put on T by hand after the failover; then a release on b (b records
 * too: it is a physical copy of a) reaches T through pgferry.
 */
final class SchemaDrift {
  static final String CONSTRAINT = "ALTER TABLE billing.invoices ADD CONSTRAINT invoices_amount_not_negative CHECK (amount >= 0)";
  private static final List<String> RELEASE = List.of(
      "ALTER TABLE billing.invoices ADD COLUMN currency text NOT NULL DEFAULT 'EUR'",
      CONSTRAINT,
      "CREATE INDEX CONCURRENTLY invoices_currency_idx ON billing.invoices (currency)");
  private static final List<String> RELEASE_ON_B = List.of(
      "ALTER TABLE billing.invoices ADD COLUMN currency text NOT NULL DEFAULT 'EUR'",
      "CREATE INDEX CONCURRENTLY invoices_currency_idx ON billing.invoices (currency)",
      "ALTER TABLE billing.invoices RENAME COLUMN currency TO currency_code");

  private final ScenarioEnvironment env;
  private final ScenarioFaults faults;
  private final Consumer<String> say;

  SchemaDrift(ScenarioEnvironment env, ScenarioFaults faults, Consumer<String> say) {
    this.env = env;
    this.faults = faults;
    this.say = say;
  }

  List<JourneyHook> hooks(boolean failover) {
    List<JourneyHook> hooks = new ArrayList<>();
    if (failover) {
      hooks.add(new JourneyHook("a CHECK constraint on a by a session pgferry does not record (the drift check holds LOGICAL_SYNC)",
          JourneyTable.LS_STANDBY_SLOT, this::unrecordedOnA));
      hooks.add(faults.killNodeWhen("a", JourneyTable.SYNC_WAIT));
      hooks.add(new JourneyHook("the constraint on T by hand and a release on b, once the app writes to b",
          JourneyTable.FO_REPOINT_SUBSCRIPTION, this::afterFailover));
    } else {
      hooks.add(new JourneyHook("the app's release on a after logical setup (carried to T by pgferry)", JourneyTable.LS_STANDBY_SLOT,
          () -> run(env.rig().agentCluster("a"), "a", RELEASE)));
      hooks.add(new JourneyHook("T to run the release", JourneyTable.SYNC_WAIT, this::awaitCarried));
    }
    return hooks;
  }

  private void awaitCarried() throws Exception {
    Await.until("T to have the release's CHECK constraint", Duration.ofSeconds(60),
        this::hasConstraint, () -> "T lacks invoices_amount_not_negative");
    say.accept("     on T (by pgferry's apply): " + String.join("; ", RELEASE));
  }

  private boolean hasConstraint() {
    try (Connection c = env.target().connect(SourceDatabase.APP_DB); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_constraint WHERE conname = 'invoices_amount_not_negative'")) {
      return rs.next() && rs.getLong(1) == 1;
    } catch (SQLException e) {
      return false;
    }
  }

  private void unrecordedOnA() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", SourceDatabase.SUPERUSER_PASSWORD);
    p.setProperty("ApplicationName", "pgferry-e2e-unrecorded");
    try (Connection c = DriverManager.getConnection(env.rig().agentCluster("a").jdbcUrl(SourceDatabase.APP_DB), p);
         Statement st = c.createStatement()) {
      st.execute(CONSTRAINT);
    }
    say.accept("     on a, not recorded: " + CONSTRAINT);
  }

  private void afterFailover() throws Exception {
    Ledger ledger = env.ledger();
    long killedAt = faults.aKilledAt();
    Await.until("the app to commit through " + env.app().describe() + " on b after the failover", Duration.ofSeconds(90),
        () -> ledger.firstAckAfterOutage(killedAt) > 0 && ledger.acknowledgedAfter(ledger.firstAckAfterOutage(killedAt)) >= 100,
        env::lastLedgerFailure);
    var api = env.rig().api();
    Await.until("LOGICAL_SYNC to report the schema change on a", Duration.ofSeconds(90),
        () -> api.journey().map(j -> j.path("progress").asText().contains("schema changed")).orElse(false),
        () -> api.journey().map(j -> j.path("state").asText() + " " + j.path("step").asText() + ": " + j.path("progress").asText() + " / "
            + j.path("message").asText()).orElse("?"));
    // PostgreSQL restarts T's apply worker up to wal_retrieve_retry_interval (5 s) after the repoint
    Await.until("T's subscription to apply from b", Duration.ofSeconds(60), () -> "1".equals(env.target().queryValue(
        "SELECT count(*) FROM pg_stat_subscription WHERE subname = 'pgferry_sub' AND relid IS NULL AND pid IS NOT NULL"
        + " AND last_msg_receipt_time > now() - interval '1 second'")), () -> "no apply worker receiving from b");
    run(env.target(), "T", List.of(CONSTRAINT));
    run(env.rig().agentCluster("b"), "b", RELEASE_ON_B);
  }

  private void run(PgCluster node, String name, List<String> statements) throws SQLException {
    try (Connection c = SourceDatabase.connectAsSuperuser(node, SourceDatabase.APP_DB); Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
    say.accept("     on " + name + ": " + String.join("; ", statements));
  }
}
