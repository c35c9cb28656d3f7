package io.pgferry.e2e.scenario;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.testkit.Await;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The app's releases during logical replication: DDL on the publisher after logical setup, which pgferry records there
 * and runs on T in the apply worker, in commit order with the ledger's rows (issue 16). No one touches T's schema.
 * With {@code failover} (a killed in LOGICAL_SYNC) a second release runs on b once the app writes there (b records
 * too: it is a physical copy of a): a rename, an index added and one dropped, a new table written at once and one
 * without a key updated and deleted from; T gets both releases through pgferry (PG 15: pg_dump --schema-only of b and
 * T equal, {@link SchemaDumps}).
 */
final class SchemaDrift {
  static final String CONSTRAINT = "ALTER TABLE billing.invoices ADD CONSTRAINT invoices_amount_not_negative CHECK (amount >= 0)";
  private static final List<String> RELEASE = List.of(
      "ALTER TABLE billing.invoices ADD COLUMN currency text NOT NULL DEFAULT 'EUR'",
      CONSTRAINT,
      "CREATE INDEX CONCURRENTLY invoices_currency_idx ON billing.invoices (currency)");
  private static final List<String> RELEASE_ON_B = List.of(
      "ALTER TABLE billing.invoices RENAME COLUMN currency TO currency_code",
      "CREATE INDEX CONCURRENTLY invoices_currency_code_idx ON billing.invoices (currency_code)",
      "DROP INDEX CONCURRENTLY billing.invoices_currency_idx",
      // a table written at once (T copies it once the subscription follows it), and one without a key: pgferry gives
      // it REPLICA IDENTITY FULL, so its UPDATE and DELETE are taken on b and replicated
      "CREATE TABLE billing.refunds (id int PRIMARY KEY, invoice_id int NOT NULL, amount numeric(12, 2) NOT NULL)",
      "INSERT INTO billing.refunds SELECT id, id, amount / 2 FROM billing.invoices WHERE id <= 20",
      "CREATE TABLE billing.refund_notes (invoice_id int NOT NULL, note text)",
      "INSERT INTO billing.refund_notes SELECT id, 'refund ' || id FROM billing.invoices WHERE id <= 5",
      "UPDATE billing.refund_notes SET note = note || ' (paid)' WHERE invoice_id <= 2",
      "DELETE FROM billing.refund_notes WHERE invoice_id = 5");

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
    hooks.add(new JourneyHook("the app's release on a after logical setup (carried to T by pgferry)", JourneyTable.LS_STANDBY_SLOT,
        () -> run(env.rig().agentCluster("a"), "a", RELEASE)));
    if (failover) {
      hooks.add(faults.killNodeWhen("a", JourneyTable.SYNC_WAIT));
      hooks.add(new JourneyHook("the app's next release on b, once the app writes to b (carried to T by pgferry)",
          JourneyTable.FO_REPOINT_SUBSCRIPTION, this::afterFailover));
    } else {
      hooks.add(new JourneyHook("T to run the release", JourneyTable.SYNC_WAIT, () -> awaitOnT("invoices_amount_not_negative", RELEASE)));
    }
    return hooks;
  }

  private void awaitOnT(String constraintOrIndex, List<String> release) throws Exception {
    Await.until("T to have " + constraintOrIndex, Duration.ofSeconds(60),
        () -> hasOnT(constraintOrIndex), () -> "T lacks " + constraintOrIndex);
    say.accept("     on T (by pgferry's apply): " + String.join("; ", release));
  }

  private boolean hasOnT(String name) {
    try (Connection c = env.target().connect(SourceDatabase.APP_DB); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM pg_constraint WHERE conname = '" + name + "')"
             + " + (SELECT count(*) FROM pg_class WHERE relname = '" + name + "')")) {
      return rs.next() && rs.getLong(1) >= 1;
    } catch (SQLException e) {
      return false;
    }
  }

  private void afterFailover() throws Exception {
    Ledger ledger = env.ledger();
    long killedAt = faults.aKilledAt();
    Await.until("the app to commit through " + env.app().describe() + " on b after the failover", Duration.ofSeconds(90),
        () -> ledger.firstAckAfterOutage(killedAt) > 0 && ledger.acknowledgedAfter(ledger.firstAckAfterOutage(killedAt)) >= 100,
        env::lastLedgerFailure);
    run(env.rig().agentCluster("b"), "b", RELEASE_ON_B);
    awaitOnT("invoices_currency_code_idx", RELEASE_ON_B);
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
