package io.pgferry.controller.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.sql.Sql;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.PlanBuilder;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The bounds a purpose sets arrive in a real PostgreSQL session; the plan's connections block overrides them. */
class PgConnectionsSessionTest {
  @Test
  void theSessionCarriesItsPurposeAndBounds() throws Exception {
    try (Workspace ws = Workspace.create("pg-conn"); PgCluster pg = PgCluster.start(ws, "pg", 15)) {
      pg.execute("CREATE DATABASE appdb", "ALTER DATABASE appdb SET default_transaction_read_only = on");
      Plan plan = PlanLoader.parse("plan.yaml", PlanBuilder.plan()
          .target("postgres://postgres@127.0.0.1:" + pg.port() + "/appdb?sslmode=disable")
          .connection("fence", null, null, Duration.ofSeconds(7), Duration.ofSeconds(3)).yaml(), null).plan();
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
