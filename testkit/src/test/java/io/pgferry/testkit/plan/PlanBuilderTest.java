package io.pgferry.testkit.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.SeedApp;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PlanBuilderTest {
  @Test
  void theCommonShapeWritesOnlyWhatIsSet() {
    assertEquals("""
        source:
          pg_major: 15
        archive:
          url: file:///nonexistent/archive
        nodes:
          archive_replica: a
          standby: b
        target:
          url: postgres://app@127.0.0.1:1/appdb
        app:
          dbname: appdb
          user: app
        switch:
          type: command
          command:
            block: "true"
            repoint: "true"
            unblock: "true"
        """, PlanBuilder.plan().yaml());
  }

  @Test
  void durationsAndNestedBlocksAsPlanFilesWriteThem() {
    String yaml = PlanBuilder.plan().archiveTimeout(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
        .timeout(PlanBuilder.PhaseTimeout.STANDBY, Duration.ofMinutes(3)).timeout(PlanBuilder.PhaseTimeout.CUTOVER_1, Duration.ofMinutes(1))
        .pgbouncerSwitch("127.0.0.1", 6432, "pgbouncer", "appdb", Path.of("/x/pgbouncer.ini"), Duration.ofSeconds(10))
        .logical(l -> l.verify("full", 500)).noFailover().yaml();
    assertTrue(yaml.contains("  archive_timeout: 5s\n"), yaml);
    assertTrue(yaml.contains("  poll_interval: 200ms\n  timeouts:\n    standby: 3m\n    cutover_1: 1m\n"), yaml);
    assertTrue(yaml.contains("    ini_path: /x/pgbouncer.ini\n    pause_timeout: 10s\n"), yaml);
    assertTrue(yaml.contains("logical:\n  verify: full\n  verify_chunk_rows: 500\nfailover:\n  enabled: false\n"), yaml);
  }

  @Test
  void theSeedsDifferInRowCountsOnly() {
    String small = SeedApp.small().sql();
    assertTrue(small.contains("FROM generate_series(1, 200) g;"), small);
    assertTrue(small.contains("generate_series(1, 300) i, generate_series(1, 3) l"), small);
    assertTrue(SeedApp.medium().sql().contains("SELECT 'u' || g, 'did ' || g FROM generate_series(1, 300) g;"));
    assertTrue(SeedApp.schemaDdl().strip().endsWith("GROUP BY 1 WITH NO DATA;"), SeedApp.schemaDdl());
  }
}
