package io.pgferry.controller.journey;

import io.pgferry.controller.store.FileStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.PgBouncer;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import io.pgferry.testkit.plan.PlanBuilder.PhaseTimeout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cutover 1 with the real PgBouncer switch and the real database fence on a real source: a long transaction makes
 * PAUSE time out, the journey undoes (nothing half-switched, the app keeps writing to the source); once it ends,
 * resume completes the cutover: PgBouncer points to A, the source is fenced. Agents: the in-memory double.
 */
class PgBouncerCutoverTest {
  @TempDir
  Path dir;

  @Test
  void aPauseThatTimesOutLeavesTheAppOnTheSourceAndResumeCutsOver() throws Exception {
    InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.5", 5432, 15)
        .add("b", "10.0.0.6", 5432, 15);
    try (Workspace ws = Workspace.create("bouncer-cutover"); PgCluster source = PgCluster.start(ws, "source", 15)) {
      source.execute("CREATE ROLE app LOGIN", "CREATE DATABASE appdb OWNER app");
      try (PgBouncer bouncer = PgBouncer.start(ws, "bouncer", Map.of("appdb", "host=" + source.host() + " port="
          + source.port() + " dbname=appdb user=app"), List.of("app", "postgres"))) {
        try (Connection c = app(bouncer); Statement s = c.createStatement()) {
          s.execute("CREATE TABLE t (id int)");
        }
        String plan = PlanBuilder.plan().source(source.url("appdb")).archiveTimeout(Duration.ofSeconds(1))
            .archiveDir(FakeArchive.withBackup(dir.resolve("archive"), "{}")).target(source.url("postgres"))
            .pgbouncerSwitch(bouncer.host(), bouncer.port(), "postgres", "appdb", bouncer.iniFile(), Duration.ofSeconds(1))
            .pollInterval(Duration.ofMillis(20)).timeout(PhaseTimeout.CUTOVER_1, Duration.ofSeconds(20)).yaml();
        Path state = dir.resolve("state");
        try (JourneyService journey = new JourneyService(new FileStore(state), nodes, InMemoryAFence.live(state), Clock.systemUTC());
             Connection longTx = app(bouncer); Statement lt = longTx.createStatement()) {
          longTx.setAutoCommit(false);
          lt.execute("INSERT INTO t VALUES (1)");

          journey.apply("plan.yaml", plan, true);
          JourneyEngine.Snapshot failed = journey.awaitStopped();
          assertEquals(JourneyEngine.State.FAILED, failed.state(), failed.message());
          assertTrue(failed.message().contains("CUTOVER_1 failed at cutover_1.block_app"), failed.message());
          assertTrue(failed.message().contains("the app stays on the source"), failed.message());
          assertTrue(nodes.assignments.stream().noneMatch(x -> x.equals("a:PRIMARY")));
          longTx.commit(); // the long transaction was never cut off
          try (Connection c = app(bouncer); Statement s = c.createStatement()) {
            s.execute("INSERT INTO t VALUES (2)"); // PgBouncer resumed, source writable
          }
          assertTrue(Files.readString(bouncer.iniFile()).contains("port=" + source.port()));

          journey.resume();
          JourneyEngine.Snapshot end = journey.awaitStopped();
          assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
          assertTrue(Files.readString(bouncer.iniFile()).contains("host=10.0.0.5 port=5432 dbname=appdb user=app"),
              Files.readString(bouncer.iniFile()));
        }
        try (Connection direct = DriverManager.getConnection(source.jdbcUrl("appdb"), "app", "");
             Statement s = direct.createStatement()) {
          SQLException e = assertThrows(SQLException.class, () -> s.execute("INSERT INTO t VALUES (3)"));
          assertEquals("25006", e.getSQLState(), "the source stays fenced after cutover 1");
        }
      }
    }
  }

  private static Connection app(PgBouncer bouncer) throws SQLException {
    return DriverManager.getConnection(bouncer.jdbcUrl("appdb"), "app", "");
  }
}
