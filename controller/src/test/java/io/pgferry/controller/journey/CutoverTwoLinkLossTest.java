package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.common.pg.Timeouts;
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
import java.sql.SQLException;
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
 * Issue 12: the controller's link to A goes silent (black-holed, no socket closed) right after cutover 2 fenced A and
 * stays silent through the undo. wait_applied must give up within the plan's catch_up bounds; the undo's lift of the
 * fence gets one attempt within the fence bounds, and the app is unblocked (PgBouncer resumed, still on A) anyway, so
 * it is blocked no longer than those bounds allow; the journal says why and that A stays fenced. Once A answers again,
 * `pgferry resume` lifts the fence. Real A and T (PostgreSQL 15), real PgBouncer, the real engine and steps; A is
 * reached through a TcpProxy.
 */
class CutoverTwoLinkLossTest {
  /** Journal writes, PgBouncer's RESUME and the engine between the steps, on 2 loaded cores. */
  private static final Duration MARGIN = Duration.ofSeconds(5);

  @TempDir
  Path dir;

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a session without a socket timeout ignores interrupts
  void aLinkToABlackHoledThroughTheUndoUnblocksTheAppOnTheFencedAWithinThePlansBounds() throws Exception {
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
            .connection("catch_up", Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(1))
            .connection("fence", Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(1))
            .yaml();
        PlanLoader.Loaded loaded = PlanLoader.parse("plan.yaml", planText, null);
        Timeouts catchUp = loaded.plan().connectionLimits().of(Purpose.CATCH_UP);
        Timeouts fence = loaded.plan().connectionLimits().of(Purpose.FENCE);
        // A's agent says A listens at the proxy: every session of the controller to A crosses the link
        InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", link.host(), link.port(), 15).add("b", "127.0.0.1", 1, 15);
        Path state = Files.createDirectories(dir.resolve("state"));
        JourneyPorts ports = JourneyWiring.live(state).ports(loaded.plan(), nodes);
        Map<String, Step> steps = new LinkedHashMap<>(JourneySteps.build(loaded.plan(), ports));
        AtomicLong cutAt = new AtomicLong();
        AtomicLong gaveUpAt = new AtomicLong();
        AtomicLong unblockedAt = new AtomicLong();
        steps.put(JourneyTable.C2_FENCE_A, HookedStep.after(steps.get(JourneyTable.C2_FENCE_A), ctx -> {
          link.blackhole();
          cutAt.set(System.nanoTime());
        }));
        steps.put(JourneyTable.C2_WAIT_APPLIED, HookedStep.afterAnyway(steps.get(JourneyTable.C2_WAIT_APPLIED),
            ctx -> gaveUpAt.set(System.nanoTime())));
        steps.put(JourneyTable.C2_UNDO_UNBLOCK, HookedStep.after(steps.get(JourneyTable.C2_UNDO_UNBLOCK),
            ctx -> unblockedAt.set(System.nanoTime())));

        try (Journal j = Journal.open(state, Clock.systemUTC())) {
          for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1)) {
            j.append(JournalRecord.Event.PHASE_DONE, p, null, "done before this test", Map.of());
          }
          JourneyEngine.Snapshot end = new JourneyEngine(loaded.plan(), loaded.text(), steps, j, ports, Clock.systemUTC(),
              JourneyListener.NONE).run();
          long returnedAt = System.nanoTime();
          link.restore();

          assertTrue(cutAt.get() > 0, "the fence step ran and the link was cut: " + end.message());
          assertTrue(gaveUpAt.get() > 0, "wait_applied gave up: " + end.message());
          assertTrue(unblockedAt.get() > 0, "the undo resumed PgBouncer: " + end.message());
          Duration toFailure = Duration.ofNanos(gaveUpAt.get() - cutAt.get());
          Duration toUnblock = Duration.ofNanos(unblockedAt.get() - cutAt.get());
          System.out.printf("link cut -> wait_applied failed %.3f s -> app unblocked %.3f s -> engine returned %.3f s"
                  + " (catch_up %s; fence %s)%n", seconds(toFailure), seconds(toUnblock),
              seconds(Duration.ofNanos(returnedAt - cutAt.get())), catchUp, fence);
          assertTrue(toFailure.compareTo(silentPeer(catchUp).plus(MARGIN)) < 0, "wait_applied gave up after " + toFailure);
          // one attempt to lift the fence on the silent A, then the unblock: the fence bounds, not a retry, decide
          assertTrue(toUnblock.compareTo(silentPeer(catchUp).plus(silentPeer(fence)).plus(MARGIN)) < 0,
              "the app was unblocked after " + toUnblock);

          assertEquals(JourneyEngine.State.FAILED, end.state(), end.message());
          assertEquals(JournalRecord.Event.STEP_FAILED, last(j, JourneyTable.C2_WAIT_APPLIED).event());
          assertTrue(last(j, JourneyTable.C2_WAIT_APPLIED).message().contains("socket timeout"),
              last(j, JourneyTable.C2_WAIT_APPLIED).message());
          assertEquals(JournalRecord.Event.STEP_FAILED, last(j, JourneyTable.C2_UNDO_LIFT_FENCE).event(), "A never answered");
          assertEquals(JournalRecord.Event.STEP_DONE, last(j, JourneyTable.C2_UNDO_UNBLOCK).event());
          JournalRecord stop = j.state().lastStop().orElseThrow();
          System.out.println("journal: " + stop.message());
          assertEquals("undo_failed", stop.evidence().get("reason"), stop.message());
          assertTrue(stop.message().contains(JourneyTable.C2_WAIT_APPLIED) && stop.message().contains("socket timeout"), stop.message());
          assertTrue(stop.message().contains(JourneyTable.rule(Phase.CUTOVER_2).ifUndoFails().get(JourneyTable.C2_UNDO_LIFT_FENCE)),
              stop.message());
          assertTrue(stop.message().contains("A stays fenced") && stop.message().contains("`pgferry resume`"), stop.message());

          // the app is back on A, which the controller could not reach: resumed, still pointing at A, and its writes
          // fail at once as read-only instead of hanging
          assertTrue(Files.readString(bouncer.iniFile()).contains("port=" + a.port()), Files.readString(bouncer.iniFile()));
          SQLException readOnly = assertThrows(SQLException.class, () -> appWrite(bouncer));
          assertEquals("25006", readOnly.getSQLState(), readOnly.getMessage());

          // the link is back: A answers through it again, and `pgferry resume` finishes the undo
          PgEndpoint viaLink = new PgEndpoint(link.host(), link.port(), "appdb", "postgres", null);
          try (Connection c = viaLink.connect(Purpose.PROBE)) {
            assertEquals("1", Sql.value(c, "SELECT 1"));
          }
          JourneyEngine.Snapshot resumed = new JourneyEngine(loaded.plan(), loaded.text(), JourneySteps.build(loaded.plan(), ports), j,
              ports, Clock.systemUTC(), JourneyListener.NONE).run();
          assertTrue(resumed.message().contains("undone"), resumed.message());
          assertEquals(JournalRecord.Event.PHASE_RESET, j.records().get(j.records().size() - 2).event(), resumed.message());
          assertEquals(2, starts(j, JourneyTable.C2_UNDO_LIFT_FENCE), "resume lifted the fence");
          assertEquals(1, starts(j, JourneyTable.C2_UNDO_UNBLOCK), "the app was unblocked once");
          appWrite(bouncer);
          try (Connection c = src.connect(Purpose.ADMIN)) {
            assertEquals("1", Sql.value(c, "SELECT count(*) FROM after_undo"));
            assertEquals("0", Sql.value(c, "SELECT count(*) FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%default_transaction_read_only%'"),
                "no fence left on A");
          }
        }
      }
    }
  }

  /**
   * The longest one session of these bounds waits on a silent peer before it fails: pgjdbc's default sslmode
   * (prefer) asks for SSL first, then tries again without, each attempt bounded by the connect and the socket timeout.
   */
  private static Duration silentPeer(Timeouts t) {
    return t.connect().plus(t.socket()).multipliedBy(2);
  }

  private static void appWrite(PgBouncer bouncer) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "app");
    p.setProperty("socketTimeout", "10");
    try (Connection app = DriverManager.getConnection(bouncer.jdbcUrl("appdb"), p); Statement st = app.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS after_undo (id int)");
      st.execute("INSERT INTO after_undo VALUES (1)");
    }
  }

  private static JournalRecord last(Journal j, String step) {
    return j.records().stream().filter(r -> step.equals(r.step()) && (r.event() == JournalRecord.Event.STEP_DONE
        || r.event() == JournalRecord.Event.STEP_FAILED)).reduce((x, y) -> y).orElseThrow(() -> new AssertionError("no end of " + step));
  }

  private static long starts(Journal j, String step) {
    return j.records().stream().filter(r -> r.event() == JournalRecord.Event.STEP_STARTED && step.equals(r.step())).count();
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
