package io.pgferry.controller.sql.logical;

import static io.pgferry.controller.sql.logical.AppDatabases.appDb;
import static io.pgferry.controller.sql.logical.AppDatabases.exec;
import static io.pgferry.controller.sql.logical.AppDatabases.until;
import static io.pgferry.controller.sql.logical.AppDatabases.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The app's migrations on A reach T through the subscription, in commit order with the rows, run by the apply
 * worker under the app's role: T ends with A's schema (pg_dump --schema-only equal, owners included) and every row.
 * A statement T cannot run stops apply, is named, and goes on after {@code retry} (T fixed) or {@code skip}.
 */
class DdlCarryTest {
  private static final String PASSWORD = "correct horse battery staple";

  private static final String SCHEMA = """
      CREATE ROLE app LOGIN;
      CREATE SCHEMA shop AUTHORIZATION app;
      SET ROLE app;
      CREATE TABLE shop.items (id bigserial PRIMARY KEY, name text NOT NULL);
      INSERT INTO shop.items (name) SELECT 'item ' || g FROM generate_series(1, 500) g;
      RESET ROLE;
      """;

  @ParameterizedTest(name = "A 15 -> T {0}")
  @ValueSource(ints = {15, 17})
  void migrationsOnAReachTInOrder(int targetMajor) throws Exception {
    try (Workspace ws = Workspace.create("ddl"); PgCluster a = PgCluster.start(ws, "a", 15); PgCluster t = PgCluster.start(ws, "t", targetMajor)) {
      PgEndpoint src = appDb(a);
      PgEndpoint dst = appDb(t);
      exec(src, SCHEMA);
      LogicalNames names = LogicalNames.DEFAULT;
      new ReplicationRole(src, names.role(), PASSWORD).run();
      new TargetRoles(src, dst, names.role(), "app", null).run();
      new SchemaCopy(src, dst, null).run();
      new Publication(src, names.publication(), List.of()).run();
      DdlCapture capture = new DdlCapture(src, names.role());
      assertTrue(capture.run());
      assertFalse(capture.run(), "a second run finds the event trigger");
      DdlReplay replay = new DdlReplay(dst);
      assertTrue(replay.run());
      assertFalse(replay.run(), "a second run finds the trigger");
      new Subscription(dst, src.withUser(names.role(), PASSWORD), names.subscription(), names.slot(), names.publication(), true, false).run();
      SyncProgress progress = new SyncProgress(src, dst, names, Clock.systemUTC());
      DdlLedger ledger = new DdlLedger(src, dst, names);
      until(Duration.ofSeconds(90), "initial sync", () -> progress.snapshot().caughtUp(0));
      assertEquals(0, ledger.state().recorded(), "pgferry's own setup DDL is not recorded");

      // the release: run by the app's role, while rows keep arriving
      app(src, "SET ROLE app",
          "ALTER TABLE shop.items ADD COLUMN price numeric NOT NULL DEFAULT 1",
          "INSERT INTO shop.items (name, price) SELECT 'priced ' || g, g FROM generate_series(1, 100) g",
          "BEGIN",
          "CREATE TABLE shop.orders (id bigserial PRIMARY KEY, item_id bigint REFERENCES shop.items, qty int NOT NULL)",
          "INSERT INTO shop.orders (item_id, qty) SELECT id, 2 FROM shop.items WHERE id <= 50",
          "COMMIT",
          "INSERT INTO shop.orders (item_id, qty) SELECT id, 3 FROM shop.items WHERE id BETWEEN 51 AND 60",
          "CREATE INDEX CONCURRENTLY items_name_idx ON shop.items (name)",
          "CREATE INDEX items_price_idx ON shop.items (price)",
          "DROP INDEX shop.items_price_idx",
          "ALTER TABLE shop.items RENAME COLUMN name TO title",
          "INSERT INTO shop.items (title, price) VALUES ('renamed', 7)",
          "SET search_path = shop, public",
          "ALTER TABLE items ADD CONSTRAINT price_positive CHECK (price > 0)",
          "UPDATE items SET price = price + 1 WHERE id % 3 = 0",
          // no primary key: pgferry gives it REPLICA IDENTITY FULL at once, else A would refuse its UPDATE/DELETE
          "CREATE TABLE shop.audit (at timestamptz NOT NULL DEFAULT now(), what text)",
          "INSERT INTO shop.audit (what) VALUES ('a'), ('b'), ('c')",
          "UPDATE shop.audit SET what = 'B' WHERE what = 'b'",
          "DELETE FROM shop.audit WHERE what = 'c'");
      until(Duration.ofSeconds(60), "every statement applied", () -> ledger.state().allApplied());
      DdlLedger.State s = ledger.state();
      assertEquals(9, s.recorded(), s.sentence());
      assertEquals("f", value(dst, "SELECT relreplident FROM pg_class WHERE oid = 'shop.audit'::regclass"));
      assertEquals(List.of("shop.audit", "shop.orders"), ledger.refreshForNewTables().stream().sorted().toList());
      until(Duration.ofSeconds(90), "the new tables copied and followed", () -> progress.snapshot().caughtUp(0));
      exec(src, "INSERT INTO shop.orders (item_id, qty) VALUES (1, 9)");
      exec(src, "UPDATE shop.audit SET what = 'A' WHERE what = 'a'; DELETE FROM shop.audit WHERE what = 'B'; INSERT INTO shop.audit (what) VALUES ('d')");
      until(Duration.ofSeconds(30), "rows arrive", () -> value(src, "SELECT count(*) || '/' || sum(qty) FROM shop.orders")
          .equals(value(dst, "SELECT count(*) || '/' || sum(qty) FROM shop.orders")));
      until(Duration.ofSeconds(30), "the keyless table's update and delete arrive", () -> "A,d".equals(value(dst,
          "SELECT string_agg(what, ',' ORDER BY what) FROM shop.audit")));
      assertEquals(value(src, "SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM shop.items i"),
          value(dst, "SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM shop.items i"));
      assertSameSchema(src, dst, targetMajor);
      assertEquals("app", value(dst, "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'"));
      assertEquals("rewritten", value(dst, "SELECT outcome FROM pgferry.ddl_applied WHERE ran LIKE '%items_name_idx%'"));

      // a statement T cannot run: apply stops on it, it is named, and goes on once T is fixed and retried
      exec(dst, "CREATE TABLE shop.clash (x int)");
      app(src, "SET ROLE app", "CREATE TABLE shop.clash (id int PRIMARY KEY)", "INSERT INTO shop.clash VALUES (1), (2)");
      until(Duration.ofSeconds(60), "the failure counted", () -> ledger.state().applyErrors() > 0);
      DdlLedger.State stuck = ledger.state();
      assertTrue(stuck.waiting().isPresent() && stuck.waiting().get().ddl().contains("CREATE TABLE shop.clash"), stuck.sentence());
      long clash = stuck.waiting().get().id();
      assertTrue(stuck.sentence().contains("pgferry ddl retry " + clash), stuck.sentence());
      exec(dst, "DROP TABLE shop.clash");
      ledger.retry(clash);
      until(Duration.ofSeconds(60), "applied after the retry", () -> ledger.state().allApplied());
      assertEquals(List.of("shop.clash"), ledger.refreshForNewTables());
      until(Duration.ofSeconds(60), "the clash rows", () -> "2".equals(value(dst, "SELECT count(*) FROM shop.clash")));

      // or applied by hand and skipped
      exec(dst, "ALTER TABLE shop.items ADD COLUMN note text");
      app(src, "ALTER TABLE shop.items ADD COLUMN note text", "UPDATE shop.items SET note = 'n' WHERE id = 1");
      until(Duration.ofSeconds(60), "the second failure", () -> ledger.state().waiting().isPresent() && ledger.state().applyErrors() > stuck.applyErrors());
      long note = ledger.state().waiting().get().id();
      assertTrue(ledger.skip(note));
      until(Duration.ofSeconds(60), "applied after the skip", () -> ledger.state().allApplied());
      until(Duration.ofSeconds(30), "the note row", () -> "n".equals(value(dst, "SELECT note FROM shop.items WHERE id = 1")));
      assertSameSchema(src, dst, targetMajor);
    }
  }

  /**
   * A release shipped while the post-data is built (on A, or on B after a failover, before T ran it): its objects are
   * in the post-data dump, yet T makes them from their statements. The build waits for T to run every statement
   * recorded before its dump and skips what they made: no "relation does not exist" for a new table's key, and no
   * index built twice (the statement's CREATE INDEX would then stop T's apply on "already exists").
   */
  @org.junit.jupiter.api.Test
  void postDataLeavesWhatCarriedDdlMadeToItsStatements() throws Exception {
    try (Workspace ws = Workspace.create("ddl-post-data"); PgCluster a = PgCluster.start(ws, "a", 15); PgCluster t = PgCluster.start(ws, "t", 15)) {
      PgEndpoint src = appDb(a);
      PgEndpoint dst = appDb(t);
      exec(src, SCHEMA, "CREATE INDEX items_name_idx ON shop.items (name)");
      LogicalNames names = LogicalNames.DEFAULT;
      new ReplicationRole(src, names.role(), PASSWORD).run();
      new TargetRoles(src, dst, names.role(), "app", null).run();
      new SchemaCopy(src, dst, null).run();
      new Publication(src, names.publication(), List.of()).run();
      new DdlCapture(src, names.role()).run();
      new DdlReplay(dst).run();
      new Subscription(dst, src.withUser(names.role(), PASSWORD), names.subscription(), names.slot(), names.publication(), true, false).run();
      SyncProgress progress = new SyncProgress(src, dst, names, Clock.systemUTC());
      DdlLedger ledger = new DdlLedger(src, dst, names);
      until(Duration.ofSeconds(90), "initial sync", () -> progress.snapshot().caughtUp(0));

      exec(dst, "ALTER SUBSCRIPTION " + names.subscription() + " DISABLE"); // T behind: the statements below wait on A
      app(src, "SET ROLE app", "CREATE TABLE shop.refunds (id bigserial PRIMARY KEY, item_id bigint NOT NULL REFERENCES shop.items)",
          "CREATE INDEX items_lower_name_idx ON shop.items (lower(name))");
      Queue<String> heard = new ConcurrentLinkedQueue<>();
      CompletableFuture<PostDataBuild.Result> build = CompletableFuture.supplyAsync(() -> {
        try {
          return new PostDataBuild(src, dst, null, 2, "", null).afterDump(() -> ledger.awaitRecordedSoFar(
              Deadline.in(Duration.ofSeconds(90)), Duration.ofMillis(100), Poll.SLEEP, heard::add)).run();
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
      until(Duration.ofSeconds(60), "the build waiting for T to run the release", () -> !heard.isEmpty() || build.isDone());
      assertFalse(build.isDone(), "the build waits while T has not run the release");
      assertTrue(heard.peek().contains("T waits on #1"), heard.peek());
      exec(dst, "ALTER SUBSCRIPTION " + names.subscription() + " ENABLE");
      PostDataBuild.Result r = build.get(90, TimeUnit.SECONDS);
      assertEquals(1, r.built(), "only items_name_idx is the build's: " + r.sentence());
      DdlLedger.State s = ledger.state();
      assertTrue(s.allApplied() && s.recorded() == 2, s.sentence());
      assertEquals(0, s.applyErrors(), "T ran both statements at the first try: " + s.sentence());
      assertSameSchema(src, dst, 15);
    }
  }

  /** pg_dump --schema-only equal where a pg_dump as new as both servers is at hand (15), else the schema fingerprints. */
  private static void assertSameSchema(PgEndpoint a, PgEndpoint t, int targetMajor) throws Exception {
    if (targetMajor == 15) {
      assertEquals(schema(a, SchemaCopy.DEFAULT_CLIENT_BIN.resolve("pg_dump")), schema(t, SchemaCopy.DEFAULT_CLIENT_BIN.resolve("pg_dump")));
    } else {
      assertEquals(SchemaFingerprint.of(a).lines(), SchemaFingerprint.of(t).lines());
    }
  }

  /** The app's own session (not named pgferry-*, so its DDL is recorded). */
  private static void app(PgEndpoint db, String... sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.database()
        + "?user=" + db.user() + "&ApplicationName=app-release"); Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  /** pg_dump --schema-only of the app's objects: pgferry's own schema and event trigger, and the replication role's grants, left out. */
  static String schema(PgEndpoint db, Path pgDump) throws Exception {
    Process p = new ProcessBuilder(pgDump.toString(), "--schema-only", "--no-publications",
        "--no-subscriptions", "--exclude-schema=pgferry", "--dbname=" + db.conninfo(false)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    return out.lines().filter(l -> !l.startsWith("--") && !l.contains("pgferry_repl") && !l.contains("pgferry_ddl_") && !l.contains("pgferry.note_ddl_context")
            && !l.contains("pgferry.record_ddl") && !l.startsWith("\\restrict") && !l.startsWith("\\unrestrict") && !l.isBlank())
        .collect(Collectors.joining("\n"));
  }
}
