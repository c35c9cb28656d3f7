package io.pgferry.e2e.scenario;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.Await;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The app's release during logical replication: DDL on the publisher after logical setup, which pgferry records there
 * and runs on T in the apply worker, in commit order with the ledger's rows (issue 16). No one touches T's schema.
 * With {@code failover} (a killed in LOGICAL_SYNC) T already has the CHECK constraint (added there by hand before the
 * release): the carried statement fails on T and holds apply, visibly, until the app writes to b after the failover;
 * then `pgferry ddl skip N` lets it through, and a second release on b (b records too: it is a physical copy of a)
 * reaches T the same way.
 */
final class SchemaDrift {
  static final String CONSTRAINT = "ALTER TABLE billing.invoices ADD CONSTRAINT invoices_amount_not_negative CHECK (amount >= 0)";
  private static final List<String> RELEASE = List.of(
      "ALTER TABLE billing.invoices ADD COLUMN currency text NOT NULL DEFAULT 'EUR'",
      CONSTRAINT,
      "CREATE INDEX CONCURRENTLY invoices_currency_idx ON billing.invoices (currency)");
  private static final List<String> RELEASE_ON_B = List.of("ALTER TABLE billing.invoices RENAME COLUMN currency TO currency_code");

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
      hooks.add(new JourneyHook("the CHECK constraint added on T by hand, then the app's release on a (the constraint's statement "
          + "fails on T and holds apply)", JourneyTable.LS_STANDBY_SLOT, () -> {
            run(env.target(), "T", List.of(CONSTRAINT));
            run(env.rig().agentCluster("a"), "a", RELEASE);
          }));
      hooks.add(faults.killNodeWhen("a", JourneyTable.SYNC_WAIT));
      hooks.add(new JourneyHook("`pgferry ddl skip` of the statement T has already, and a release on b, once the app writes to b",
          JourneyTable.FO_REPOINT_SUBSCRIPTION, this::skipAndReleaseOnB));
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

  private void skipAndReleaseOnB() throws Exception {
    Ledger ledger = env.ledger();
    long killedAt = faults.aKilledAt();
    Await.until("the app to commit through " + env.app().describe() + " on b after the failover", Duration.ofSeconds(90),
        () -> ledger.firstAckAfterOutage(killedAt) > 0 && ledger.acknowledgedAfter(ledger.firstAckAfterOutage(killedAt)) >= 100,
        env::lastLedgerFailure);
    var api = env.rig().api();
    long[] id = {0};
    Await.until("b to hold the recorded CHECK constraint statement", Duration.ofSeconds(90), () -> {
      id[0] = recordedId(env.rig().agentCluster("b"));
      return id[0] > 0;
    }, () -> "no such row in b's pgferry.ddl_log");
    Await.until("LOGICAL_SYNC to name the statement T cannot run", Duration.ofSeconds(60),
        () -> api.journey().map(j -> j.path("progress").asText().contains("T waits on #" + id[0])).orElse(false),
        () -> api.journey().map(j -> j.path("state").asText() + " " + j.path("step").asText() + ": " + j.path("progress").asText() + " / "
            + j.path("message").asText()).orElse("?"));
    say.accept("     pgferry reports: " + api.journey().map(j -> j.path("progress").asText()).orElse("?"));
    say.accept("     pgferry ddl skip " + id[0] + ": " + api.post("api/journey/ddl/skip", Map.of("id", id[0])));
    run(env.rig().agentCluster("b"), "b", RELEASE_ON_B);
  }

  private static long recordedId(PgCluster node) {
    try (Connection c = SourceDatabase.connectAsSuperuser(node, SourceDatabase.APP_DB); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM pgferry.ddl_log WHERE ddl LIKE '%invoices_amount_not_negative%'")) {
      return rs.next() ? rs.getLong(1) : 0;
    } catch (SQLException e) {
      return 0;
    }
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
