package io.pgferry.controller.sql.logical;

import static io.pgferry.controller.sql.logical.AppDatabases.appDb;
import static io.pgferry.controller.sql.logical.AppDatabases.exec;
import static io.pgferry.controller.sql.logical.AppDatabases.until;
import static io.pgferry.controller.sql.logical.AppDatabases.value;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** T's tables, freshly loaded and never analyzed, each get VACUUM (ANALYZE) before cutover 2 (issue 15, item 4). */
class TargetAnalyzeTest {
  private static final String EVERY_TABLE = "SELECT count(*) FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
      + "WHERE c.relkind = 'r' AND s.schemaname <> 'pgferry'";

  @Test
  void everyTableOfTheAppIsVacuumedAndAnalyzed() throws Exception {
    try (Workspace ws = Workspace.create("analyze"); PgCluster t = PgCluster.start(ws, "t", 15)) {
      PgEndpoint db = appDb(t);
      exec(db, "ALTER SYSTEM SET autovacuum = off", "SELECT pg_reload_conf()",
          "CREATE SCHEMA shop",
          "CREATE TABLE shop.items (id bigint PRIMARY KEY, name text)",
          "INSERT INTO shop.items SELECT g, 'item ' || g FROM generate_series(1, 20000) g",
          "CREATE TABLE public.keyless (what text)",
          "CREATE TABLE shop.events (at date NOT NULL, what text) PARTITION BY RANGE (at)",
          "CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
          "INSERT INTO shop.events SELECT date '2026-01-01' + g % 300, 'e' FROM generate_series(1, 5000) g",
          "CREATE SCHEMA pgferry", "CREATE TABLE pgferry.ddl_applied (id bigint PRIMARY KEY)");
      assertEquals("0", value(db, EVERY_TABLE + " AND (s.last_vacuum IS NOT NULL OR s.last_analyze IS NOT NULL)"), "nothing analyzed yet");

      TargetAnalyze.Result r = new TargetAnalyze(db).run();

      assertEquals(4, r.tables(), r.sentence()); // items, keyless, events (ANALYZE), events_2026
      until(Duration.ofSeconds(30), "every table's statistics", () -> value(db, EVERY_TABLE).equals(
          value(db, EVERY_TABLE + " AND s.last_vacuum IS NOT NULL AND s.last_analyze IS NOT NULL")));
      assertEquals("3", value(db, EVERY_TABLE));
      assertEquals("20000", value(db, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'shop.items'::regclass"));
      assertEquals("0", value(db, "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = 'pgferry' AND last_vacuum IS NOT NULL"),
          "pgferry's own tables are not the app's");
    }
  }
}
