package io.pgferry.controller.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.sql.Sql;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/** The bounds a purpose sets arrive in a real PostgreSQL session; the plan's connections block overrides them. */
class PgConnectionsSessionTest {
  @Test
  void theSessionCarriesItsPurposeAndBounds() throws Exception {
    try (Workspace ws = Workspace.create("pg-conn"); PgCluster pg = PgCluster.start(ws, "pg", 15)) {
      pg.execute("CREATE DATABASE appdb", "ALTER DATABASE appdb SET default_transaction_read_only = on");
      Plan plan = PlanLoader.parse("plan.yaml", """
          source: {archive_timeout: 1s, pg_major: 15}
          archive: {url: "file:///nonexistent/archive"}
          nodes: {archive_replica: a, standby: b}
          target: {url: "postgres://postgres@127.0.0.1:%d/appdb?sslmode=disable"}
          app: {dbname: appdb, user: app}
          switch:
            type: command
            command: {block: "true", repoint: "true", unblock: "true"}
          thresholds:
            timeouts: {archive_replica: 5s, standby: 5s, cutover_1: 5s}
          connections:
            fence: {statement_timeout: 7s, lock_timeout: 3s}
          """.formatted(pg.port()), null).plan();
      PgEndpoint t = Endpoints.target(plan);
      assertEquals("disable", t.params().get("sslmode"));
      try (Connection c = t.connect(Purpose.FENCE)) {
        assertEquals("pgferry-fence|7s|3s|off", Sql.value(c, "SELECT concat_ws('|', current_setting('application_name'),"
            + " current_setting('statement_timeout'), current_setting('lock_timeout'), current_setting('default_transaction_read_only'))"));
      }
      try (Connection c = t.connect(Purpose.SEQUENCES)) {
        assertEquals("pgferry-sequences|20s|10s", Sql.value(c, "SELECT concat_ws('|', current_setting('application_name'),"
            + " current_setting('statement_timeout'), current_setting('lock_timeout'))"));
      }
    }
  }
}
