package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.common.Command;
import io.pgferry.controller.journey.Journal;
import io.pgferry.controller.journey.JournalRecord;
import io.pgferry.controller.journey.Phase;
import io.pgferry.testkit.Await;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.LedgerReport;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgBouncer;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.TcpProxy;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Automatic failover during LOGICAL_SYNC through the real controller and agents (processes, mTLS): A primary with a
 * ledger writing through PgBouncer, B its synchronous standby keeping a copy of the subscription's slot, T
 * subscribed to A. kill -9 of A's postmaster and of A's agent: the controller detects it, fences A, waits out A's
 * lease, promotes B, repoints PgBouncer, moves T's subscription to B without a re-copy. At the end T equals B,
 * ledger lost = 0, duplicated = 0.
 *
 * <p>The journey's phases up to LOGICAL_SYNC (archive restore, cutover 1, logical setup) are not run here: the
 * test builds the same end state with goals and SQL, and seeds the controller's journal with those phases done (its
 * plan has no logical: block, so the engine waits at LOGICAL_SYNC). Detection, decisions and FAILOVER run in the
 * controller daemon exactly as in a journey; FullJourneyIT runs a failover inside the whole journey.
 */
class FailoverIT {
  private static final Duration T = Duration.ofSeconds(120);

  /** Controller, agents, A, B, T, PgBouncer and a ledger, as the journey leaves them in LOGICAL_SYNC. */
  @FunctionalInterface
  interface Scenario {
    void run(Rig rig, PgCluster a, PgCluster b, PgCluster t, int bPort, PgBouncer bouncer, Ledger ledger) throws Exception;
  }

  @Test
  void killPrimaryDuringLogicalSyncPg15() throws Exception {
    inLogicalSync(15, "failover-e2e", (rig, a, b, t, bPort, bouncer, ledger) -> {
      long killedAt = killA(rig, a);
      Await.until("FAILOVER done in the journal", T, () -> journalHas(rig, "PHASE_DONE", "FAILOVER"),
          () -> rig.controller().logTail(30));
      checkAfterFailover(rig, a, b, t, bPort, ledger, killedAt);
    });
  }

  /** PG 17: the slot on B is a failover slot synced by PostgreSQL (sync_replication_slots), not a copy. */
  @Test
  void killPrimaryDuringLogicalSyncPg17() throws Exception {
    inLogicalSync(17, "failover-e2e17", (rig, a, b, t, bPort, bouncer, ledger) -> {
      long killedAt = killA(rig, a);
      Await.until("FAILOVER done in the journal", T, () -> journalHas(rig, "PHASE_DONE", "FAILOVER"),
          () -> rig.controller().logTail(30));
      checkAfterFailover(rig, a, b, t, bPort, ledger, killedAt);
    });
  }

  /** `pgferry failover` (POST /api/journey/failover) with A alive: planned switchover, no lease wait, zero loss. */
  @Test
  void plannedSwitchoverToB() throws Exception {
    inLogicalSync(15, "failover-planned", (rig, a, b, t, bPort, bouncer, ledger) -> {
      long requestedAt = System.nanoTime();
      System.out.println("pgferry failover: " + rig.api().post("/api/journey/failover"));
      Await.until("FAILOVER done", T, () -> journalHas(rig, "PHASE_DONE", "FAILOVER"), () -> rig.controller().logTail(30));
      String lease = journal(rig).stream().filter(r -> "failover.wait_lease_expiry".equals(r.step())
          && r.event() == JournalRecord.Event.STEP_DONE).map(r -> r.evidence().get("fenced_acknowledged")).findFirst().orElse("");
      assertEquals("true", lease, "a's agent acknowledged the fence: no lease wait");
      checkAfterFailover(rig, a, b, t, bPort, ledger, requestedAt);
      assertTrue(!a.isRunning(), "a fenced (stopped)");
    });
  }

  /**
   * Partition: A's agent loses its link to the controller while A's PostgreSQL stays up. The controller does not
   * fail over while it can reach A's PostgreSQL; A fences itself before its lease expires; only then is A silent
   * and B's WAL receiver down, and B is promoted after the lease: A stopped accepting writes before B's promotion.
   */
  @Test
  void partitionedPrimaryFencesItselfBeforeBIsPromoted() throws Exception {
    proxyA = true;
    inLogicalSync(15, "failover-partition", (rig, a, b, t, bPort, bouncer, ledger) -> {
      AtomicReference<Instant> aStopped = new AtomicReference<>();
      Thread watch = new Thread(() -> {
        while (aStopped.get() == null) {
          try (Connection c = a.connect("appdb")) {
            Thread.sleep(20);
          } catch (Exception e) {
            aStopped.set(Instant.now());
          }
        }
      });
      watch.setDaemon(true);
      long cutAt = System.nanoTime();
      cutter.cut();
      bStream.close(); // a's host cut off: from the controller and from b (whose stream kept a up, docs/failsafe.md)
      watch.start();
      System.out.println("cut a's link to the controller and b's stream from a");
      Await.until("FAILOVER done", T, () -> journalHas(rig, "PHASE_DONE", "FAILOVER"), () -> rig.controller().logTail(30));
      Instant promoteStarted = journal(rig).stream().filter(r -> "failover.promote_b".equals(r.step())
          && r.event() == JournalRecord.Event.STEP_STARTED).map(r -> Instant.parse(r.at())).findFirst().orElseThrow();
      System.out.println("a stopped accepting sessions at " + aStopped.get() + "; b's promotion started at " + promoteStarted);
      assertTrue(aStopped.get() != null && aStopped.get().isBefore(promoteStarted), "a fenced itself before b's promotion");
      assertTrue(rig.agent("a").alive(), "a's agent is alive (partitioned, not dead)");
      checkAfterFailover(rig, a, b, t, bPort, ledger, cutAt);
    });
  }

  @Test
  void controllerKilledDuringFailoverResumeFinishesItWithOnePromotion() throws Exception {
    inLogicalSync(15, "failover-resume", (rig, a, b, t, bPort, bouncer, ledger) -> {
      long killedAt = killA(rig, a);
      Await.until("a fenced by the controller (failover under way)", T,
          () -> journal(rig).stream().anyMatch(r -> "failover.fence_a".equals(r.step())
              && r.event() == JournalRecord.Event.STEP_DONE), () -> rig.controller().logTail(30));
      rig.controller().kill();
      System.out.println("killed the controller during " + lastStep(rig));
      assertTrue(!journalHas(rig, "PHASE_DONE", "FAILOVER"), "the failover was still under way");
      rig.restartController();
      Await.until("agents back", T, () -> rig.api().node("b").map(n -> n.path("connected").asBoolean()).orElse(false), () -> "");
      String answer = rig.api().post("/api/journey/resume");
      System.out.println("resume: " + answer);
      Await.until("FAILOVER done after resume", T, () -> journalHas(rig, "PHASE_DONE", "FAILOVER"),
          () -> rig.controller().logTail(30));
      checkAfterFailover(rig, a, b, t, bPort, ledger, killedAt);
      assertEquals("00000002", b.queryValue("select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"),
          "b promoted once (timeline 2)");
      long phaseStarts = journal(rig).stream().filter(r -> r.event() == JournalRecord.Event.PHASE_STARTED
          && "FAILOVER".equals(r.phase())).count();
      assertEquals(1, phaseStarts, "FAILOVER entered once");
    });
  }

  @Test
  void standbyKilledWhileSyncPrimaryKeepsWritingAndDropsToAsync() throws Exception {
    inLogicalSync(15, "failover-b-lost", (rig, a, b, t, bPort, bouncer, ledger) -> {
      long killedAt = System.nanoTime();
      rig.agent("b").kill();
      long pid = Long.parseLong(Files.readAllLines(b.dataDir().resolve("postmaster.pid")).get(0).trim());
      Command.of("kill", "-9", Long.toString(pid)).runChecked();
      // detect_after 3 s: commits wait for B at most that long, plus a poll and the reload
      Duration allowed = Duration.ofSeconds(3 + 4);
      Await.until("the drop to async journaled", T, () -> journal(rig).stream().anyMatch(r ->
          r.event() == JournalRecord.Event.DECISION && "async".equals(r.evidence().get("durability"))),
          () -> rig.controller().logTail(20));
      Await.until("writes on a after b's loss", T, () -> ledger.acknowledgedAfter(killedAt + allowed.toNanos()) > 50, () -> "");
      long stalledUntil = ledger.acks().stream().filter(x -> x.commitNanos() > killedAt + 500_000_000L)
          .mapToLong(Ledger.Ack::commitNanos).min().orElseThrow();
      double stalled = (stalledUntil - killedAt) / 1e9;
      System.out.printf("a accepted writes again %.2f s after b was killed (allowed %d s)%n", stalled, allowed.toSeconds());
      assertTrue(stalled <= allowed.toSeconds(), "writes resumed within " + allowed);
      assertEquals("", a.queryValue("show synchronous_standby_names"));
      assertLedgerClean(ledger, a);
      assertTrue(!journalHas(rig, "PHASE_STARTED", "FAILOVER"), "losing b is no failover");
    });
  }

  /** Set by a test before {@link #inLogicalSync}: A's agent dials the controller through {@link #cutter}. */
  private static boolean proxyA;
  /** Set by a test before {@link #inLogicalSync}: the plan's nodes.hba_method (pg_hba rules pgferry adds). */
  static String hbaMethod;
  private static LinkCutter cutter;
  /** With {@link #proxyA}: b's replication connection to a goes through it. */
  private static TcpProxy bStream;

  static void inLogicalSync(int major, String name, Scenario scenario) throws Exception {
    PgBinaries bin = PgBinaries.forMajor(major);
    try (Workspace ws = Workspace.create(name);
         PgCluster a = PgCluster.init(ws, "a", bin, major >= 17
             ? Map.of("wal_level", "logical", "synchronized_standby_slots", "b_phys") : Map.of("wal_level", "logical")).start();
         PgCluster t = PgCluster.init(ws, "t", bin, Map.of("wal_level", "logical")).start()) {
      a.execute("create database appdb", "select pg_create_physical_replication_slot('b_phys')");
      t.execute("create database appdb");
      try (Connection c = a.connect("appdb")) {
        Ledger.createTable(c, "ledger");
        c.createStatement().execute("create publication pgferry_pub for table ledger");
      }
      try (Connection c = t.connect("appdb")) {
        Ledger.createTable(c, "ledger");
        c.createStatement().execute("create subscription pgferry_sub connection '" + a.conninfo("appdb")
            + "' publication pgferry_pub" + (major >= 17 ? " with (failover = true)" : ""));
      }
      int bPort = FreePorts.next();
      Path bDir = ws.root().resolve("b");
      if (major >= 17) {
        // no pg_basebackup among the zonky binaries: B starts from a copy of the stopped A (same system identifier,
        // so the agent's base backup step finds it done)
        a.stop();
        Command.of("cp", "-a", a.dataDir().toString(), bDir.toString()).as(Workspace.PG_USER).runChecked();
        Command.of("sh", "-c", "rm -rf " + bDir + "/pg_replslot/* " + bDir + "/postmaster.pid " + bDir + "/postmaster.opts")
            .as(Workspace.PG_USER).runChecked();
        a.start();
      }
      try (PgCluster b = PgCluster.adopt("b", bin, bDir, bPort);
           PgBouncer bouncer = PgBouncer.start(ws, "bouncer", "appdb", a, "appdb");
           Rig rig = new Rig(ws, List.of("a", "b"))) {
        PlanBuilder planned = PlanBuilder.plan().pgMajor(major).archiveDir(ws.root().resolve("archive"))
            .target(t.url("appdb")).app("appdb", "postgres")
            .pgbouncerSwitch(bouncer.host(), bouncer.port(), "postgres", "appdb", bouncer.iniFile(), Duration.ofSeconds(2))
            .pollInterval(Duration.ofMillis(100))
            .failover(f -> f.timings(Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofSeconds(4)));
        if (hbaMethod != null) {
          planned.hbaMethod(hbaMethod);
        }
        String plan = planned.yaml();
        seedJournalAtLogicalSync(rig.controllerStateDir(), plan);
        rig.leaseMs(4000).initCerts().startController();
        if ("trust".equals(hbaMethod)) {
          rig.allowTrust(); // the agents take the goals' trust rules only when agent.yaml says so
        }
        if (proxyA) {
          cutter = new LinkCutter(rig.linkPort());
          rig.agentDialsPort("a", cutter.port());
        }
        rig.startAgent("a", bin, a.dataDir(), a.port(), null);
        // as the journey's PRIMARY goal (Goals.primary): it names b, the standby a failover promotes; a goal naming
        // none would make a serve on without a lease, and the controller would never promote b (docs/failsafe.md)
        rig.api().assign("a", "{\"state\":\"PRIMARY\",\"failsafe_standby\":\"pgferry_b\"}");
        rig.awaitState("a", "PRIMARY", T);
        rig.startAgent("b", bin, bDir, bPort, null);
        if (proxyA) {
          bStream = TcpProxy.start("127.0.0.1", a.port()); // b streams from a through it: the partition cuts it too
        }
        rig.api().assign("b", """
            {"state":"STREAMING_STANDBY","upstream":{"host":"127.0.0.1","port":%d,"user":"postgres",
             "application_name":"pgferry_b","slot_name":"b_phys","dbname":"appdb"},"logical_slots":["pgferry_sub"]}"""
            .formatted(bStream == null ? a.port() : bStream.port()));
        rig.awaitState("b", "STREAMING_STANDBY", T);
        try (Ledger ledger = Ledger.start(Ledger.Options.of(() -> bouncer.jdbcUrl("appdb")).writers(2)
            .pause(Duration.ofMillis(5)))) {
          Await.until("the slot on b proven usable and a synchronous", T, () -> slotSynced(rig)
              && !rig.api().node("a").orElseThrow().path("status").path("sync_state").asText().isEmpty(),
              () -> rig.api().node("b").orElseThrow().path("status").path("slots") + " / a sync_state "
                  + rig.api().node("a").orElseThrow().path("status").path("sync_state"));
          Await.until("T applying", T, () -> count(t) > 100, () -> "T has " + count(t) + "; " + replicationOnA(a));
          assertTrue(ledger.awaitMore(200, T), "ledger writes through PgBouncer");
          scenario.run(rig, a, b, t, bPort, bouncer, ledger);
        } finally {
          if (cutter != null) {
            cutter.close();
            cutter = null;
          }
          if (bStream != null) {
            bStream.close();
            bStream = null;
          }
          proxyA = false;
          hbaMethod = null;
        }
      }
    }
  }

  /** kill -9 of A's agent and postmaster; returns when. */
  static long killA(Rig rig, PgCluster a) throws Exception {
    long killedAt = System.nanoTime();
    rig.agent("a").kill();
    long pid = Long.parseLong(Files.readAllLines(a.dataDir().resolve("postmaster.pid")).get(0).trim());
    Command.of("kill", "-9", Long.toString(pid)).runChecked();
    System.out.println("killed a's agent and postmaster (pid " + pid + ")");
    return killedAt;
  }

  private static void checkAfterFailover(Rig rig, PgCluster a, PgCluster b, PgCluster t, int bPort, Ledger ledger,
                                         long killedAt) throws Exception {
    Await.until("a commit through PgBouncer on b", T, () -> ledger.acknowledgedAfter(killedAt) > 0 && ledger.firstAckAfterOutage(killedAt) > 0
        && journalHas(rig, "PHASE_DONE", "FAILOVER"), () -> ledger.failures().size() + " failures");
    long firstAfter = ledger.firstAckAfterOutage(killedAt);
    System.out.printf("failover time (kill -> first commit through the app path): %.2f s%n", (firstAfter - killedAt) / 1e9);
    printPhaseTimes(rig);
    assertTrue(ledger.awaitMore(200, T), "writes continue on b");
    assertLedgerClean(ledger, b);
    assertEquals("f", b.queryValue("select pg_is_in_recovery()"));
    String bPrint = fingerprint(b);
    Await.until("T equals B", T, () -> fingerprint(t).equals(bPrint), () -> "T " + fingerprint(t) + " B " + bPrint);
    System.out.println("T = B: " + bPrint);
    assertTrue(t.queryValue("select subconninfo from pg_subscription where subname = 'pgferry_sub'")
        .contains("port=" + bPort), "the subscription points to b");
    String evidence = journal(rig).stream().filter(r -> "failover.repoint_subscription".equals(r.step())
        && r.event() == JournalRecord.Event.STEP_DONE).map(r -> r.message() + " " + r.evidence()).findFirst().orElse("");
    System.out.println("subscription: " + evidence);
    if (Integer.parseInt(b.queryValue("show server_version_num")) >= 170000) {
      // synchronized_standby_slots: T never gets ahead of B, so the failover slot always serves T
      assertTrue(evidence.contains("without a re-copy"), evidence);
    } else {
      // PG 11-16: a logical walsender does not wait for the synchronous standby, so T may have applied a commit B
      // never received (its client got no ack); then the check must name the table and re-sync only it
      assertTrue(evidence.contains("without a re-copy") || evidence.contains("re-synced only [ledger]"), evidence);
    }
    long promotions = journal(rig).stream().filter(r -> "failover.promote_b".equals(r.step())
        && r.event() == JournalRecord.Event.STEP_DONE).count();
    assertEquals(1, promotions, "one promotion recorded");
    journal(rig).stream().filter(r -> r.event() == JournalRecord.Event.DECISION)
        .forEach(r -> System.out.println("decision: " + r.message()));
  }

  /** When each FAILOVER step finished, from the journal (detection -> lease wait -> promotion -> app repoint). */
  private static void printPhaseTimes(Rig rig) {
    StringBuilder sb = new StringBuilder("failover steps done at:");
    for (JournalRecord r : journal(rig)) {
      if ((r.event() == JournalRecord.Event.STEP_DONE && r.step() != null && r.step().startsWith("failover."))
          || (r.event() == JournalRecord.Event.PHASE_STARTED && "FAILOVER".equals(r.phase()))) {
        sb.append("\n  ").append(r.at()).append(' ').append(r.step() == null ? "FAILOVER entered" : r.step());
      }
    }
    System.out.println(sb);
  }


  private static String lastStep(Rig rig) {
    List<JournalRecord> all = journal(rig);
    return all.isEmpty() ? "?" : all.get(all.size() - 1).event() + " " + all.get(all.size() - 1).step();
  }

  private static boolean slotSynced(Rig rig) {
    var slots = rig.api().node("b").orElseThrow().path("status").path("slots");
    for (var s : slots) {
      if (s.path("name").asText().equals("pgferry_sub") && s.path("synced").asBoolean()) {
        return true;
      }
    }
    return false;
  }

  /** What A's walsenders and slots show: why T might get nothing (a failover slot waits for the physical slot). */
  private static String replicationOnA(PgCluster a) {
    try {
      return "slots on a: " + a.queryValue("select string_agg(slot_name || ' ' || slot_type || ' active=' || active"
          + " || ' restart=' || coalesce(restart_lsn::text, '-') || ' confirmed=' || coalesce(confirmed_flush_lsn::text, '-'), '; ')"
          + " from pg_replication_slots") + "; walsenders: " + a.queryValue("select string_agg(application_name || ' '"
          + " || state || ' flush=' || coalesce(flush_lsn::text, '-') || ' sync=' || sync_state, '; ') from pg_stat_replication")
          + "; a at " + a.queryValue("select pg_current_wal_lsn()");
    } catch (RuntimeException e) {
      return "a's replication state unreadable: " + e.getMessage();
    }
  }

  static long count(PgCluster c) {
    try (Connection x = c.connect("appdb"); var rs = x.createStatement().executeQuery("select count(*) from ledger")) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      return -1;
    }
  }

  /** Every acknowledged write of the ledger present once on {@code primary} (printed, then asserted). */
  static void assertLedgerClean(Ledger ledger, PgCluster primary) throws Exception {
    LedgerReport report;
    try (Connection c = primary.connect("appdb")) {
      report = ledger.verify(c);
    }
    System.out.println("ledger: " + report.summary());
    assertEquals(0, report.lost(), "lost");
    assertEquals(0, report.duplicated(), "duplicated");
  }

  static String fingerprint(PgCluster c) {
    try (Connection x = c.connect("appdb"); var rs = x.createStatement().executeQuery("select count(*) || ' rows md5 ' ||"
        + " md5(coalesce(string_agg(writer_id || ':' || seq, ',' order by writer_id, seq), '')) from ledger")) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      return "unreachable: " + e.getMessage();
    }
  }

  /** Reads the controller's journal without opening it as a Journal (that may trim a line being written). */
  static List<JournalRecord> journal(Rig rig) {
    List<JournalRecord> out = new ArrayList<>();
    try {
      String text = Files.readString(rig.controllerStateDir().resolve("journey.jsonl"));
      var json = new ObjectMapper();
      int end = text.lastIndexOf('\n');
      for (String line : text.substring(0, Math.max(0, end)).split("\n")) {
        if (!line.isBlank()) {
          out.add(json.readValue(line, JournalRecord.class));
        }
      }
    } catch (Exception e) {
      // not written yet
    }
    return out;
  }

  static boolean journalHas(Rig rig, String event, String phase) {
    return journal(rig).stream().anyMatch(r -> r.event().name().equals(event) && phase.equals(r.phase()));
  }

  /** The journal as a journey would have left it: phases up to LOGICAL_SETUP done, LOGICAL_SYNC entered. */
  static void seedJournalAtLogicalSync(Path stateDir, String plan) throws Exception {
    Files.createDirectories(stateDir);
    Files.writeString(stateDir.resolve("plan.yaml"), plan);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(plan.getBytes(StandardCharsets.UTF_8)));
    try (Journal j = Journal.open(stateDir, Clock.systemUTC())) {
      j.append(JournalRecord.Event.JOURNEY_STARTED, null, null, "started (seeded by the test)", Map.of("plan_sha256", sha));
      for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1, Phase.LOGICAL_SETUP)) {
        j.append(JournalRecord.Event.PHASE_STARTED, p, null, "seeded", Map.of());
        j.append(JournalRecord.Event.PHASE_DONE, p, null, "seeded", Map.of());
      }
      j.append(JournalRecord.Event.PHASE_STARTED, Phase.LOGICAL_SYNC, null, "seeded", Map.of());
    }
  }
}
