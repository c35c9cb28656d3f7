package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.logical.LogicalMetrics;
import io.pgferry.controller.sql.sequences.SequenceSync;
import io.pgferry.controller.sql.verify.Verifier;
import io.pgferry.controller.sql.verify.VerifyMode;
import io.pgferry.controller.sql.verify.VerifyReport;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.SeedApp;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LOGICAL_SETUP -> LOGICAL_SYNC -> CUTOVER_2 through the real engine and journal, on real clusters (A 15, T 15),
 * with the controller stopped once in LOGICAL_SYNC (held there by schema drift) and once in CUTOVER_2 (right after a
 * step took effect, before it was recorded): resume finishes, no step is done twice, sequences are set once.
 */
class LogicalJourneyTest {
  @TempDir
  Path dir;

  @Test
  void logicalPhasesRunThroughTheEngineAndSurviveStops() throws Exception {
    try (Workspace ws = Workspace.create("logical-journey"); PgCluster a = PgCluster.start(ws, "a", 15); PgCluster t = PgCluster.start(ws, "t", 15)) {
      a.execute("CREATE DATABASE appdb", "CREATE ROLE app LOGIN");
      t.execute("CREATE DATABASE appdb");
      PgEndpoint src = new PgEndpoint("127.0.0.1", a.port(), "appdb", "postgres", null);
      PgEndpoint dst = new PgEndpoint("127.0.0.1", t.port(), "appdb", "postgres", null);
      exec(src, SeedApp.medium().sql());
      String planText = TestPlans.engine().target("postgres://postgres@127.0.0.1:" + t.port() + "/appdb")
          .replicaIdentityFull("audit_log")
          .logical(l -> l.passwords("journey-pw", null).reverseReplication(true).verify("full", 500)
              .timeouts(null, Duration.ofSeconds(30)))
          .noFailover() // no B here: nothing to keep a slot copy on
          .yaml();
      PlanLoader.Loaded loaded = TestPlans.load(planText);
      InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "127.0.0.1", a.port(), 15).add("b", "127.0.0.1", 1, 15);
      RecordingSwitcher switcher = new RecordingSwitcher();
      JourneyPorts ports = new JourneyPorts(nodes, switcher, null, null, null, null);
      Path stateDir = Files.createDirectories(dir.resolve("state"));
      try (Journal j = Journal.open(stateDir, Clock.systemUTC())) {
        for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1)) {
          j.append(JournalRecord.Event.PHASE_DONE, p, null, "done before this test", Map.of());
        }
      }

      // run 1: DDL on A after setup holds LOGICAL_SYNC (drift); the controller stops there
      Map<String, Step> steps = new LinkedHashMap<>(JourneySteps.build(loaded.plan(), ports));
      Step fingerprint = steps.get(JourneyTable.LS_FINGERPRINT);
      steps.put(JourneyTable.LS_FINGERPRINT, HookedStep.after(fingerprint, ctx -> exec(src, "ALTER TABLE public.events ADD COLUMN note text")));
      CompletableFuture<JourneyEngine.Snapshot> first;
      try (Journal j = Journal.open(stateDir, Clock.systemUTC())) {
        JourneyEngine engine = new JourneyEngine(loaded.plan(), loaded.text(), steps, j, ports, Clock.systemUTC(), JourneyListener.NONE);
        Thread[] runner = new Thread[1];
        first = new CompletableFuture<>();
        runner[0] = new Thread(() -> first.complete(engine.run()), "engine-1");
        runner[0].start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!(engine.snapshot().progress() != null && engine.snapshot().progress().contains("schema changed on A"))) {
          assertTrue(System.nanoTime() < deadline, "LOGICAL_SYNC never reported the drift: " + engine.snapshot());
          Thread.sleep(50);
        }
        assertTrue(engine.snapshot().progress().contains("+ public.events column note text"), engine.snapshot().progress());
        runner[0].interrupt();
        JourneyEngine.Snapshot stopped = first.get(30, TimeUnit.SECONDS);
        assertEquals(JourneyEngine.State.STOPPED, stopped.state(), stopped.message());
        assertEquals(Phase.LOGICAL_SYNC, stopped.phase());
      }

      // run 2: the DDL applied to T resolves the drift; the controller dies right after refreshing the materialized views
      exec(dst, "ALTER TABLE public.events ADD COLUMN note text");
      exec(src, "INSERT INTO public.events (user_id, kind, note) VALUES (1, 'after-ddl', 'x')");
      steps = new LinkedHashMap<>(JourneySteps.build(loaded.plan(), ports));
      AtomicBoolean died = new AtomicBoolean();
      steps.put(JourneyTable.C2_MATVIEWS, HookedStep.after(steps.get(JourneyTable.C2_MATVIEWS), ctx -> {
        if (died.compareAndSet(false, true)) {
          throw new InterruptedException("controller killed");
        }
      }));
      try (Journal j = Journal.open(stateDir, Clock.systemUTC())) {
        JourneyEngine.Snapshot s = new JourneyEngine(loaded.plan(), loaded.text(), steps, j, ports, Clock.systemUTC(), JourneyListener.NONE).run();
        assertEquals(JourneyEngine.State.STOPPED, s.state(), s.message());
        assertEquals(Phase.CUTOVER_2, s.phase());
        assertEquals(JourneyTable.C2_MATVIEWS, s.step());
        assertTrue(Thread.interrupted(), "the engine re-asserts the interrupt it stopped for"); // clear it: this thread goes on
      }
      // run 3: resume finishes the journey
      try (Journal j = Journal.open(stateDir, Clock.systemUTC())) {
        JourneyEngine.Snapshot s = new JourneyEngine(loaded.plan(), loaded.text(), steps, j, ports, Clock.systemUTC(), JourneyListener.NONE).run();
        assertEquals(JourneyEngine.State.FINISHED, s.state(), s.message());
        List<JournalRecord> records = j.records();
        for (String id : JourneyTable.rule(Phase.CUTOVER_2).steps()) {
          assertEquals(1, count(records, JournalRecord.Event.STEP_DONE, id), id + " done once");
        }
        assertEquals(2, count(records, JournalRecord.Event.STEP_STARTED, JourneyTable.C2_MATVIEWS));
        assertEquals(1, count(records, JournalRecord.Event.STEP_STARTED, JourneyTable.C2_SEQUENCES), "sequences set once");
        Map<String, String> seq = j.state().step(JourneyTable.C2_SEQUENCES).evidence();
        assertEquals("6", seq.get("checked"));
        assertEquals("0", seq.get("mismatched"));
        Map<String, String> verify = j.state().step(JourneyTable.C2_VERIFY).evidence();
        assertEquals("0", verify.get("mismatched_tables"));
        assertEquals("5", verify.get("tables"));
      }
      assertEquals(List.of("block", "repoint 127.0.0.1:" + t.port(), "unblock"), switcher.calls);
      var registry = new SimpleMeterRegistry();
      LogicalMetrics.bind(registry);
      assertTrue(registry.get("pgferry_subscription_lag_bytes").gauge().value() >= 0, "lag gauge set by LOGICAL_SYNC");
      assertTrue(registry.get("pgferry_slot_retained_wal_bytes").tag("slot", "pgferry_sub").gauge().value() > 0, "retained WAL gauge");
      assertEquals(SequenceSync.read(src), SequenceSync.read(dst));
      assertEquals("f", value(src, "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'pgferry_repl'").substring(0, 1));
      assertEquals("0", value(src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgferry_sub'"));
      assertEquals("t", value(src, "SELECT current_setting('default_transaction_read_only') = 'on' OR EXISTS (SELECT 1 FROM pg_db_role_setting "
          + "WHERE setconfig::text LIKE '%default_transaction_read_only=on%')").substring(0, 1), "A stays fenced after cutover 2");

      // the app on T; reverse replication brings its writes back to A
      exec(dst, "INSERT INTO public.users (email) VALUES ('on-t@example.com')");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"1".equals(value(src, "SELECT count(*) FROM public.users WHERE email = 'on-t@example.com'"))) {
        assertTrue(System.nanoTime() < deadline, "T's write never reached A");
        Thread.sleep(100);
      }
      VerifyReport report = new Verifier(src, dst, VerifyMode.FULL, 500).run();
      assertTrue(report.ok(), report.format());
    }
  }

  private static long count(List<JournalRecord> records, JournalRecord.Event event, String step) {
    return records.stream().filter(r -> r.event() == event && step.equals(r.step())).count();
  }

  private static void exec(PgEndpoint db, String sql) throws Exception {
    try (Connection c = db.connect(Purpose.ADMIN)) {
      Sql.execute(c, sql);
    }
  }

  private static String value(PgEndpoint db, String sql) throws Exception {
    try (Connection c = db.connect(Purpose.ADMIN)) {
      return Sql.value(c, sql);
    }
  }
}
