package io.pgferry.controller.sql.logical;

import static io.pgferry.controller.sql.logical.AppDatabases.appDb;
import static io.pgferry.controller.sql.logical.AppDatabases.exec;
import static io.pgferry.controller.sql.logical.AppDatabases.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.SeedApp;
import io.pgferry.testkit.Workspace;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The logical preflight lists every blocker at once and changes nothing on A or T. */
class LogicalPreflightTest {
  private static final String CATALOG = """
      SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
        SELECT 'c:' || c.oid || c.relname || c.relkind::text || c.relreplident::text || c.relpersistence::text FROM pg_class c
        UNION ALL SELECT 'a:' || attrelid || attname || atttypid || attnotnull::text FROM pg_attribute
        UNION ALL SELECT 'r:' || rolname || rolsuper::text || rolreplication::text || coalesce(rolpassword, '') FROM pg_authid
        UNION ALL SELECT 'm:' || roleid || member FROM pg_auth_members
        UNION ALL SELECT 'p:' || pubname FROM pg_publication
        UNION ALL SELECT 's:' || subname FROM pg_subscription
        UNION ALL SELECT 'l:' || slot_name FROM pg_replication_slots
        UNION ALL SELECT 'e:' || extname || extversion FROM pg_extension
        UNION ALL SELECT 'd:' || setdatabase || setrole || array_to_string(setconfig, ',') FROM pg_db_role_setting
        UNION ALL SELECT 'n:' || count(*) FROM public.users
      ) s(x)""";

  @Test
  void listsEveryBlockerAtOnceAndChangesNothing() throws Exception {
    try (Workspace ws = Workspace.create("logical-preflight"); PgCluster a = PgCluster.start(ws, "a", 15);
         PgCluster t = PgCluster.init(ws, "t", PgBinaries.forMajor(17), Map.of("wal_level", "replica")).start()) {
      PgEndpoint src = appDb(a);
      PgEndpoint dst = appDb(t);
      exec(src, SeedApp.medium().sql(),
          "CREATE EXTENSION adminpack", // in Debian's PostgreSQL 15, gone in 17
          "CREATE UNLOGGED TABLE public.scratch (id int PRIMARY KEY, v text)",
          "CREATE TABLE public.flags (name text, on_off boolean) ",
          "SELECT lo_from_bytea(0, 'attachment'::bytea)");
      exec(dst, "CREATE TABLE public.users (id int PRIMARY KEY, email text)", "INSERT INTO public.users VALUES (1, 'already@there')");
      String aBefore = value(src, CATALOG);
      String tBefore = value(dst, CATALOG);

      LogicalPreflight preflight = new LogicalPreflight(src, dst,
          new LogicalPreflight.Options(List.of(TableRef.parse("audit_log"), TableRef.parse("public.gone")), true, true, null));
      PreflightReport report = preflight.run();
      String text = report.format();

      assertEquals(List.of("replica_identity public.flags", "replica_identity public.gone", "extension adminpack", "target_not_empty public.users",
              "large_objects 1 large objects", "reverse_replication T"),
          report.blockers().stream().map(f -> f.check() + " " + f.object()).toList(), text);
      assertTrue(report.of("replica_identity").stream().anyMatch(f -> f.severity() == Finding.Severity.INFO && f.object().equals("public.audit_log")
          && f.action().contains("REPLICA IDENTITY FULL")), text);
      assertFalse(report.findings().stream().anyMatch(f -> f.object() != null && f.object().equals("hstore")), "hstore is available on T: " + text);
      assertEquals(List.of("public.scratch"), report.of("unlogged_table").stream().map(Finding::object).toList(), text);
      assertEquals(List.of("public.plan_counts"), report.of("materialized_view").stream().map(Finding::object).toList(), text);
      assertEquals(6, report.of("sequence").size(), text);
      assertFalse(report.ok());

      assertEquals(aBefore, value(src, CATALOG), "preflight changed A");
      assertEquals(tBefore, value(dst, CATALOG), "preflight changed T");
      assertEquals("1", value(src, "SELECT count(*) FROM pg_largeobject_metadata"));
    }
  }
}
