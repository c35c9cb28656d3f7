package io.pgferry.controller.failover;

import static io.pgferry.controller.failover.FailoverClusters.await;
import static io.pgferry.controller.failover.FailoverClusters.tail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.sql.failover.TableResync;
import io.pgferry.controller.sql.logical.DdlCapture;
import io.pgferry.controller.sql.logical.DdlReplay;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The last resort of a failover: the new publisher has no slot for T's subscription, so the tables at risk are
 * re-copied ({@link TableResync}). T must end with every row of the publisher, tables with foreign keys included,
 * and keep applying what comes after.
 */
class TableResyncTest {
  private static final Duration T = Duration.ofSeconds(60);
  private static final String DDL = "create table users(id int primary key, email text);"
      + " create table events(id int primary key, user_id int not null references users(id));"
      + " create table ledger(seq bigint primary key, payload text not null)";
  private static final List<String> TABLES = List.of("events", "ledger", "users");

  @Test
  void pg15TablePublicationEveryTableWithoutSlot() throws Exception {
    run(15, false, TABLES, false);
  }

  /** pgferry's own publication is FOR ALL TABLES: tables cannot leave it, yet only the tables at risk are re-copied. */
  @Test
  void pg15AllTablesPublicationEveryTableWithoutSlot() throws Exception {
    run(15, true, TABLES, false);
  }

  @Test
  void pg17FailoverSubscriptionAllTablesPublicationOneTableAtRisk() throws Exception {
    run(17, true, List.of("public.ledger"), true);
  }

  /**
   * T's apply stops on a carried DDL statement (docs/ddl.md) when the publisher fails: T confirms nothing past it, and
   * the re-sync must not wait for that (it used to fail after 60 s). Once the statement runs on T, all rows arrive.
   */
  @Test
  void pg15ApplyStoppedOnCarriedStatement() throws Exception {
    try (Workspace ws = Workspace.create("table-resync-ddl");
         PgCluster b = PgCluster.start(ws, "b", 15);
         PgCluster t = PgCluster.start(ws, "t", 15)) {
      b.execute(DDL, "insert into users select g, 'u' || g from generate_series(1, 200) g",
          "insert into ledger select g, 'row-' || g from generate_series(1, 500) g", "create publication p for all tables");
      t.execute(DDL);
      new DdlCapture(new PgEndpoint(b.host(), b.port(), "postgres", "postgres", null), "postgres").run();
      new DdlReplay(new PgEndpoint(t.host(), t.port(), "postgres", "postgres", null)).run();
      String conninfo = "host=127.0.0.1 port=" + b.port() + " user=postgres dbname=postgres";
      t.execute("create subscription s connection '" + conninfo + "' publication p with (slot_name = 's')");
      await("initial sync", T, () -> same(b, t), () -> counts(b) + " vs " + counts(t));
      t.execute("create index clash on users (email)");
      try (Connection app = DriverManager.getConnection(b.jdbcUrl("postgres") + "?user=postgres&ApplicationName=app");
           Statement st = app.createStatement()) {
        st.execute("create index clash on users (id, email)");
      }
      await("T's apply to stop on the statement", T, () -> Integer.parseInt(t.queryValue(
          "select apply_error_count + sync_error_count from pg_stat_subscription_stats where subname = 's'")) > 0, () -> "");
      t.execute("alter subscription s disable");
      b.execute("insert into ledger select g, 'row-' || g from generate_series(501, 700) g");

      // named as pgferry names its sessions: the helper publication's DDL on b is not the app's, so not recorded
      try (Connection tc = t.connect();
           Connection bc = DriverManager.getConnection(b.jdbcUrl("postgres") + "?user=postgres&ApplicationName=pgferry-failover")) {
        assertEquals(1L, TableResync.recordedStatementNotRunOnTarget(tc, bc));
        CompletableFuture<List<String>> resync = CompletableFuture.supplyAsync(() -> {
          try {
            return TableResync.resync(tc, "s", bc, "s", conninfo, List.of("ledger"), true);
          } catch (SQLException e) {
            throw new CompletionException(e);
          }
        });
        // past the 60 s it used to give T to confirm: the re-sync waits on the statement instead of failing
        assertThrows(TimeoutException.class, () -> resync.get(65, TimeUnit.SECONDS));
        t.execute("drop index clash"); // the operator fixes T (`pgferry ddl retry` would restart apply at once)
        assertEquals(List.of("ledger"), resync.get(60, TimeUnit.SECONDS));
      }
      String applied = "select string_agg(id || ' ' || outcome, ',') from pgferry.ddl_applied";
      await("T applies the statement, then every row", T, () -> same(b, t) && "1 applied".equals(t.queryValue(applied)),
          () -> counts(b) + " vs " + counts(t) + "; applied on T: " + t.queryValue(applied) + "; T's index: "
              + t.queryValue("select indexdef from pg_indexes where indexname = 'clash'") + "\n--- T\n" + tail(t.logFile()));
    }
  }

  private void run(int major, boolean allTables, List<String> atRisk, boolean slotSurvives) throws Exception {
    try (Workspace ws = Workspace.create("table-resync-" + major);
         PgCluster b = PgCluster.start(ws, "b", major);
         PgCluster t = PgCluster.start(ws, "t", major)) {
      b.execute(DDL, "insert into users select g, 'u' || g from generate_series(1, 200) g",
          "insert into events select g, 1 + g % 200 from generate_series(1, 1000) g",
          "insert into ledger select g, 'row-' || g from generate_series(1, 500) g",
          "create publication p " + (allTables ? "for all tables" : "for table users, events, ledger"));
      t.execute(DDL);
      String conninfo = "host=127.0.0.1 port=" + b.port() + " user=postgres dbname=postgres";
      t.execute("create subscription s connection '" + conninfo + "' publication p with (slot_name = 's'"
          + (major >= 17 ? ", failover = true" : "") + ")");
      await("initial sync", T, () -> same(b, t), () -> counts(b) + " vs " + counts(t));

      // the failover: T's subscription disabled, the new publisher perhaps without the slot, writes on it meanwhile
      t.execute("alter subscription s disable");
      await("s inactive on b", T, () -> "f".equals(b.queryValue("select active::text from pg_replication_slots where slot_name = 's'")
          .substring(0, 1)), () -> "");
      if (!slotSurvives) {
        b.execute("select pg_drop_replication_slot('s')");
      }
      b.execute("insert into ledger select g, 'row-' || g from generate_series(501, 700) g");
      // a row only T has, in a table not at risk: a re-copy of that table would remove it
      String untouched = atRisk.contains("users") ? null : "users";
      if (untouched != null) {
        t.execute("insert into users values (100000, 'only-on-t')");
      }
      // a row T applied from the old primary that b never had, whose key b handed out again: applying b's row must not
      // stop T (it did, on a duplicate key, until the re-sync gave up after 60 s)
      if (atRisk.contains("public.ledger") || atRisk.contains("ledger")) {
        t.execute("insert into ledger values (600, 'lost-with-the-old-primary')");
      }

      try (Connection tc = t.connect(); Connection bc = b.connect()) {
        assertEquals(atRisk, TableResync.resync(tc, "s", bc, "s", conninfo, atRisk, slotSurvives));
      }
      b.execute("insert into ledger select g, 'row-' || g from generate_series(701, 900) g",
          "insert into users values (201, 'u201')");
      String expected = untouched == null ? counts(b) : counts(b).replace("201 users", "202 users");
      await("T re-copied and applying", T, () -> counts(t).equals(expected), () -> counts(b) + " vs " + counts(t)
          + "; T's subscription: " + t.queryValue("select string_agg(srrelid::regclass::text || ' ' || srsubstate::text, ', ') from pg_subscription_rel")
          + "\n--- T\n" + tail(t.logFile()));
      assertEquals("p", t.queryValue("select array_to_string(subpublications, ',') from pg_subscription where subname = 's'"),
          "the subscription's publications as before");
      assertEquals("p", b.queryValue("select string_agg(pubname, ',') from pg_publication"), "no helper publication left on b");
      if (untouched != null) {
        assertEquals("1", t.queryValue("select count(*) from users where email = 'only-on-t'"), "users was not re-copied");
      }
    }
  }

  private static boolean same(PgCluster b, PgCluster t) {
    return counts(b).equals(counts(t));
  }

  private static String counts(PgCluster c) {
    return c.queryValue("select (select count(*) from users) || ' users ' || (select count(*) from events) || ' events '"
        + " || (select count(*) from ledger) || ' ledger'");
  }
}
