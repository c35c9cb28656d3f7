package io.pgferry.controller.sql.logical;

import static io.pgferry.controller.sql.logical.AppDatabases.exec;
import static io.pgferry.controller.sql.logical.AppDatabases.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The app keeps owning its objects on T, with the same grants and default privileges, when T's admin is no
 * superuser (as on Aurora): only CREATEROLE, CREATEDB, pg_create_subscription and ownership of the database.
 */
class TargetOwnershipTest {
  private static final String SOURCE_SCHEMA = """
      CREATE ROLE app LOGIN PASSWORD 'source-only';
      CREATE ROLE reporting NOLOGIN;
      CREATE ROLE analyst LOGIN IN ROLE reporting;
      ALTER DATABASE app OWNER TO app;
      CREATE EXTENSION hstore;
      CREATE SCHEMA shop AUTHORIZATION app;
      SET ROLE app;
      CREATE TABLE shop.orders (id bigserial PRIMARY KEY, attrs hstore, total numeric);
      CREATE TABLE public.users (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
      CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE total > 100;
      CREATE FUNCTION shop.order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM shop.orders';
      CREATE SEQUENCE public.invoice_no;
      GRANT USAGE ON SCHEMA shop TO reporting;
      GRANT SELECT ON shop.orders, shop.big_orders TO reporting;
      GRANT SELECT, UPDATE ON public.users TO analyst;
      ALTER DEFAULT PRIVILEGES IN SCHEMA shop GRANT SELECT ON TABLES TO reporting;
      RESET ROLE;
      CREATE TABLE public.audit (id int PRIMARY KEY, note text);
      GRANT INSERT ON public.audit TO app;
      """;

  /** Owners and ACLs of every user object, as \\dp and \\df show them, from the catalogs. */
  private static final String OWNERSHIP = """
      SELECT 'rel ' || n.nspname || '.' || c.relname AS obj, pg_get_userbyid(c.relowner) AS owner,
             coalesce(c.relacl::text, '') AS acl
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'v', 'm', 'S', 'p') AND %1$s
      UNION ALL
      SELECT 'fn ' || n.nspname || '.' || p.proname, pg_get_userbyid(p.proowner), coalesce(p.proacl::text, '')
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE %1$s AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
      UNION ALL
      SELECT 'schema ' || n.nspname, pg_get_userbyid(n.nspowner), coalesce(n.nspacl::text, '')
        FROM pg_namespace n WHERE %1$s AND n.nspname <> 'public'
      UNION ALL
      SELECT 'default ' || coalesce(n.nspname, '') || ' ' || d.defaclobjtype::text, pg_get_userbyid(d.defaclrole),
             d.defaclacl::text
        FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
      ORDER BY 1
      """.formatted(Sql.USER_SCHEMAS);

  @Test
  void ownersGrantsAndDefaultPrivilegesMatchWithANonSuperuserAdminOnPg17() throws Exception {
    try (Workspace ws = Workspace.create("owners"); PgCluster a = PgCluster.start(ws, "a15", 15);
         PgCluster t = PgCluster.start(ws, "t17", 17)) {
      PgEndpoint src = AppDatabases.appDb(a);
      exec(src, SOURCE_SCHEMA);
      t.execute("CREATE ROLE tadmin LOGIN CREATEROLE CREATEDB", "GRANT pg_create_subscription TO tadmin",
          "CREATE DATABASE app OWNER tadmin");
      PgEndpoint dst = new PgEndpoint(t.host(), t.port(), "app", "tadmin", null);
      assertEquals("f", value(dst, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user").substring(0, 1));

      TargetRoles roles = new TargetRoles(src, dst, "pgferry_repl", "app", "target-pw");
      TargetRoles.Result first = roles.run();
      assertEquals(List.of("analyst", "app", "reporting"), first.created(), first.sentence());
      assertEquals(List.of("analyst in reporting"), first.memberships(), first.sentence());
      assertEquals(Map.of("postgres", "tadmin"), first.ownerMap(), first.sentence());
      TargetRoles.Result again = roles.run();
      assertTrue(again.created().isEmpty() && again.memberships().isEmpty() && again.adminMemberOf().isEmpty(),
          "idempotent: " + again.sentence());
      assertEquals("f", value(dst, "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'app'").substring(0, 1));
      assertTrue(new SchemaCopy(src, dst, null).run().applied());

      List<Map<String, String>> onA = ownership(src, Map.of("postgres", "tadmin"));
      List<Map<String, String>> onT = ownership(dst, Map.of());
      assertFalse(onA.isEmpty());
      assertEquals(onA, onT, "owners and grants on T equal A's (A's superuser mapped to T's admin)");
      assertEquals("app", value(dst, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'orders'"));

      // the app logs in on T with the plan's password, and its next migration works: it owns its tables
      try (Connection c = new PgEndpoint(t.host(), t.port(), "app", "app", "target-pw").connect(Purpose.ADMIN)) {
        Sql.execute(c, "ALTER TABLE shop.orders ADD COLUMN note text");
        Sql.execute(c, "CREATE TABLE shop.refunds (id int)");
      }
      String refunds = value(dst, "SELECT relacl::text FROM pg_class WHERE relname = 'refunds'");
      assertTrue(refunds.contains("reporting=r/app"), "default privileges came along: reporting may read the app's"
          + " new table: " + refunds);
    }
  }

  private static List<Map<String, String>> ownership(PgEndpoint db, Map<String, String> rename) throws Exception {
    try (Connection c = db.connect(Purpose.ADMIN)) {
      return Sql.rows(c, OWNERSHIP).stream().map(r -> {
        Map<String, String> out = new LinkedHashMap<>(r);
        out.put("acl", out.get("acl").replace("arwdDxtm", "arwdDxt")); // PG 17's MAINTAIN is part of "all" there
        rename.forEach((from, to) -> {
          out.put("owner", out.get("owner").equals(from) ? to : out.get("owner"));
          out.put("acl", out.get("acl").replaceAll("\\b" + from + "\\b", to));
        });
        return (Map<String, String>) out;
      }).toList();
    }
  }
}
