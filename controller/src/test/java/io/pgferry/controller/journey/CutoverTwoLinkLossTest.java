package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.sql.Sql;
import io.pgferry.testkit.PgBouncer;
import io.pgferry.testkit.SeedApp;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.TcpProxy;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: the controller's link to A goes silent (black-holed, no socket closed) right after cutover 2 fenced A.
 * The next step (wait_applied) must not hang with the app blocked: its session gives up within the plan's socket
 * timeout for catch_up, the cutover is undone (A's fence lifted, PgBouncer resumed) and the journal says it was a
 * timeout. Real A and T (PostgreSQL 15), real PgBouncer, the real engine and steps; A is reached through a TcpProxy.
 */
class CutoverTwoLinkLossTest {
  private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(2);

  @TempDir
  Path dir;

  @Test
  @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a session without a socket timeout ignores interrupts
  void blackHoledLinkToAAfterTheFenceTimesOutAndUndoesCutoverTwo() throws Exception {
    try (Workspace ws = Workspace.create("c2-link-loss"); PgCluster a = PgCluster.start(ws, "a", 15); PgCluster t = PgCluster.start(ws, "t", 15);
         TcpProxy link = TcpProxy.start("127.0.0.1", a.port())) {
      for (PgCluster c : List.of(a, t)) {
        c.execute("CREATE ROLE app LOGIN SUPERUSER", "CREATE DATABASE appdb OWNER app");
      }
      PgEndpoint src = new PgEndpoint("127.0.0.1", a.port(), "appdb", "postgres", null);
      try (Connection c = src.connect(Purpose.ADMIN)) {
        Sql.execute(c, SeedApp.medium().sql());
      }
      try (PgBouncer bouncer = PgBouncer.start(ws, "bouncer", Map.of("appdb", "host=127.0.0.1 port=" + a.port() + " dbname=appdb user=app"),
          List.of("app", "postgres"))) {
        FakeArchive.withBackup(dir.resolve("archive"), "{}");
        String planText = PlanBuilder.plan()
            .archiveTimeout(Duration.ofSeconds(1))
            .archiveDir(dir.resolve("archive"))
            .target("postgres://postgres@127.0.0.1:" + t.port() + "/appdb")
            .pgbouncerSwitch(bouncer.host(), bouncer.port(), "postgres", "appdb", bouncer.iniFile(), Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(50))
            .replicaIdentityFull("audit_log")
            .logical(l -> l.passwords("link-loss-pw", null).verify("counts", null).timeouts(null, Duration.ofSeconds(60)))
            .noFailover()
            .connection("catch_up", Duration.ofSeconds(1), SOCKET_TIMEOUT, Duration.ofSeconds(1))
            .yaml();
        PlanLoader.Loaded loaded = PlanLoader.parse("plan.yaml", planText, null);
        // A's agent says A listens at the proxy: every session of the controller to A crosses the link
        InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", link.host(), link.port(), 15).add("b", "127.0.0.1", 1, 15);
        Path state = Files.createDirectories(dir.resolve("state"));
        JourneyPorts ports = JourneyWiring.live(state).ports(loaded.plan(), nodes);
        Map<String, Step> steps = new LinkedHashMap<>(JourneySteps.build(loaded.plan(), ports));
        AtomicLong cutAt = new AtomicLong();
        AtomicLong gaveUpAt = new AtomicLong();
        steps.put(JourneyTable.C2_FENCE_A, HookedStep.after(steps.get(JourneyTable.C2_FENCE_A), ctx -> {
          link.blackhole();
          cutAt.set(System.nanoTime());
        }));
        // the link comes back once the step gave up, so the undo can reach A
        steps.put(JourneyTable.C2_WAIT_APPLIED, HookedStep.afterAnyway(steps.get(JourneyTable.C2_WAIT_APPLIED), ctx -> {
          gaveUpAt.set(System.nanoTime());
          link.restore();
        }));

        try (Journal j = Journal.open(state, Clock.systemUTC())) {
          for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1)) {
            j.append(JournalRecord.Event.PHASE_DONE, p, null, "done before this test", Map.of());
          }
          JourneyEngine.Snapshot end = new JourneyEngine(loaded.plan(), loaded.text(), steps, j, ports, Clock.systemUTC(),
              JourneyListener.NONE).run();
          long unblockedAt = System.nanoTime();

          assertTrue(cutAt.get() > 0, "the fence step ran and the link was cut: " + end.message());
          assertTrue(gaveUpAt.get() > 0, "wait_applied gave up: " + end.message());
          Duration toFailure = Duration.ofNanos(gaveUpAt.get() - cutAt.get());
          Duration toUnblock = Duration.ofNanos(unblockedAt - cutAt.get());
          System.out.printf("link cut -> wait_applied failed %.3f s, -> cutover 2 undone %.3f s (socket timeout %d s)%n",
              toFailure.toNanos() / 1e9, toUnblock.toNanos() / 1e9, SOCKET_TIMEOUT.toSeconds());
          // a connection attempt to the silent link waits out the socket timeout twice: pgjdbc's default sslmode (prefer)
          // asks for SSL first, then tries again without
          assertTrue(toFailure.compareTo(SOCKET_TIMEOUT.multipliedBy(2).plusSeconds(3)) < 0, "wait_applied gave up after " + toFailure);
          assertTrue(toUnblock.compareTo(SOCKET_TIMEOUT.plusSeconds(15)) < 0, "the cutover was undone after " + toUnblock);

          assertEquals(JourneyEngine.State.FAILED, end.state(), end.message());
          assertTrue(end.message().contains("undone"), end.message());
          JournalRecord failed = j.records().stream().filter(r -> r.event() == JournalRecord.Event.STEP_FAILED
              && JourneyTable.C2_WAIT_APPLIED.equals(r.step())).findFirst().orElseThrow(() -> new AssertionError("no STEP_FAILED for wait_applied"));
          assertTrue(failed.message().contains("socket timeout"), failed.message());
          assertTrue(j.state().isDone(JourneyTable.C2_UNDO_LIFT_FENCE) || j.records().stream().anyMatch(r -> r.event() == JournalRecord.Event.STEP_DONE
              && JourneyTable.C2_UNDO_LIFT_FENCE.equals(r.step())), "the undo lifted the fence");
          assertTrue(j.records().stream().anyMatch(r -> r.event() == JournalRecord.Event.STEP_DONE && JourneyTable.C2_UNDO_UNBLOCK.equals(r.step())),
              "the undo resumed PgBouncer");

          // the app writes again, to A, through PgBouncer: resumed, not read-only, still pointing at A
          assertTrue(Files.readString(bouncer.iniFile()).contains("port=" + a.port()), Files.readString(bouncer.iniFile()));
          Properties p = new Properties();
          p.setProperty("user", "app");
          p.setProperty("socketTimeout", "10");
          try (Connection app = DriverManager.getConnection(bouncer.jdbcUrl("appdb"), p); Statement st = app.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS after_undo (id int)");
            st.execute("INSERT INTO after_undo VALUES (1)");
          }
          try (Connection c = src.connect(Purpose.ADMIN)) {
            assertEquals("1", Sql.value(c, "SELECT count(*) FROM after_undo"));
            assertEquals("0", Sql.value(c, "SELECT count(*) FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%default_transaction_read_only%'"),
                "no fence left on A");
          }
        }
      }
    }
  }
}
