package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Cli;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.cli.PgferryMain;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.sql.Sql;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.LedgerReport;
import io.pgferry.testkit.PgBouncer;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.SeedApp;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cutover 2 with the ledger writing through a real PgBouncer all along: LOGICAL_SETUP, LOGICAL_SYNC and CUTOVER_2
 * through the engine with the real PgBouncer switch and the real database fence on A. Every acknowledged row is on
 * T exactly once, the ledger's bigserial keeps working on T (sequences exact), and the write pause is printed.
 */
class LogicalCutoverLedgerTest {
  @TempDir
  Path dir;

  @Test
  void ledgerThroughPgBouncerLosesNothingAcrossCutoverTwo() throws Exception {
    try (Workspace ws = Workspace.create("logical-ledger"); PgCluster a = PgCluster.start(ws, "a", 15); PgCluster t = PgCluster.start(ws, "t", 15)) {
      for (PgCluster c : List.of(a, t)) {
        c.execute("CREATE ROLE app LOGIN SUPERUSER", "CREATE DATABASE appdb OWNER app");
      }
      PgEndpoint src = new PgEndpoint("127.0.0.1", a.port(), "appdb", "postgres", null);
      PgEndpoint dst = new PgEndpoint("127.0.0.1", t.port(), "appdb", "postgres", null);
      try (Connection c = src.connect(Purpose.ADMIN)) {
        Sql.execute(c, SeedApp.medium().sql());
        Ledger.createTable(c, "ledger");
      }
      try (PgBouncer bouncer = PgBouncer.start(ws, "bouncer", Map.of("appdb", "host=127.0.0.1 port=" + a.port() + " dbname=appdb user=app"),
          List.of("app", "postgres"))) {
        String planText = PlanBuilder.plan().archiveTimeout(Duration.ofSeconds(1))
            .archiveDir(FakeArchive.withBackup(dir.resolve("archive"), "{}"))
            .target("postgres://postgres@127.0.0.1:" + t.port() + "/appdb")
            .pgbouncerSwitch(bouncer.host(), bouncer.port(), "postgres", "appdb", bouncer.iniFile(), Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(50)).replicaIdentityFull("audit_log")
            .logical(l -> l.passwords("ledger-test-pw", null).reverseReplication(true).verify("counts", null)
                .timeouts(null, Duration.ofSeconds(30)))
            .noFailover().yaml();
        PlanLoader.Loaded loaded = PlanLoader.parse("plan.yaml", planText, null);
        InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "127.0.0.1", a.port(), 15).add("b", "127.0.0.1", 1, 15);
        Path state = Files.createDirectories(dir.resolve("state"));
        JourneyPorts ports = JourneyWiring.live(state).ports(loaded.plan(), nodes);
        Map<String, Step> steps = new LinkedHashMap<>(JourneySteps.build(loaded.plan(), ports));
        AtomicLong blockedAt = new AtomicLong();
        AtomicLong unblockedAt = new AtomicLong();
        steps.put(JourneyTable.C2_BLOCK_APP, HookedStep.before(steps.get(JourneyTable.C2_BLOCK_APP), ctx -> blockedAt.set(Ledger.now())));
        steps.put(JourneyTable.C2_UNBLOCK, HookedStep.after(steps.get(JourneyTable.C2_UNBLOCK), ctx -> unblockedAt.set(Ledger.now())));

        Path planFile = Files.writeString(dir.resolve("plan.yaml"), planText);
        try (Ledger ledger = Ledger.start(Ledger.Options.of(() -> bouncer.jdbcUrl("appdb")).as("app", "").writers(4));
             Journal j = Journal.open(state, Clock.systemUTC())) {
          for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1)) {
            j.append(JournalRecord.Event.PHASE_DONE, p, null, "done before this test", Map.of());
          }
          assertTrue(ledger.awaitMore(200, Duration.ofSeconds(20)), "the ledger writes through PgBouncer to A");
          JourneyEngine.Snapshot end = new JourneyEngine(loaded.plan(), loaded.text(), steps, j, ports, Clock.systemUTC(),
              JourneyListener.NONE).run();
          assertEquals(JourneyEngine.State.FINISHED, end.state(), end.message());
          assertTrue(Files.readString(bouncer.iniFile()).contains("port=" + t.port()), Files.readString(bouncer.iniFile()));
          assertEquals("0", j.state().step(JourneyTable.C2_SEQUENCES).evidence().get("mismatched"), "cutover 2 set every sequence on T to A's");
          assertTrue(ledger.awaitMore(300, Duration.ofSeconds(20)), "the ledger writes through PgBouncer to T");
          long onT;
          try (Connection c = dst.connect(Purpose.ADMIN)) {
            onT = Long.parseLong(Sql.value(c, "SELECT count(*) FROM ledger"));
          }

          // pgferry rollback (reverse replication ran since cutover 2): the app goes back to A
          long rollbackStart = Ledger.now();
          int exit = Cli.execute(new PgferryMain(), "rollback", "--source", "postgresql://postgres@127.0.0.1:" + a.port()
              + "/appdb", "--target", "postgresql://postgres@127.0.0.1:" + t.port() + "/appdb", "--plan", planFile.toString(), "--state-dir",
              state.toString(), "--timeout", "30");
          long rollbackEnd = Ledger.now();
          assertEquals(0, exit);
          assertTrue(Files.readString(bouncer.iniFile()).contains("port=" + a.port()), Files.readString(bouncer.iniFile()));
          assertTrue(ledger.awaitMore(300, Duration.ofSeconds(20)), "the ledger writes through PgBouncer to A again");

          // every acknowledged row, written to A, then T, then A again, is on A exactly once
          LedgerReport report;
          try (Connection onA = src.connect(Purpose.ADMIN)) {
            report = ledger.verify(onA);
          }
          Duration cutover2 = report.maxGapBetween(blockedAt.get(), unblockedAt.get());
          Duration rollback = report.maxGapBetween(rollbackStart, rollbackEnd);
          System.out.printf("through PgBouncer: cutover 2 write downtime %.3f s (block -> unblock %.3f s), rollback write downtime %.3f s;"
              + " rows on T before rollback %d; %s%n", cutover2.toNanos() / 1e9, (unblockedAt.get() - blockedAt.get()) / 1e9,
              rollback.toNanos() / 1e9, onT, report.summary());
          assertEquals(0, report.lost(), report.summary());
          assertEquals(0, report.duplicated(), report.summary());
          assertEquals(0, report.failedAttempts(), report.summary());
          assertTrue(cutover2.compareTo(Duration.ofSeconds(10)) < 0, "cutover 2 downtime " + cutover2);
        }
      }
    }
  }
}
