package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Command;
import io.pgferry.controller.journey.JournalRecord;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.Await;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * After an automatic failover (A killed during LOGICAL_SYNC, B promoted: {@link FailoverIT}'s scenario), A's agent
 * comes back on a data dir holding the old, diverged cluster; `pgferry add-standby a` (the real CLI against the
 * controller daemon) makes A a streaming standby of B again: the agent discards the old cluster, takes a base backup
 * from B and streams on B's timeline, through its own physical slot pgferry_a on B; with durability sync B names A
 * its synchronous standby. A second run does nothing more. The ledger (writing through PgBouncer to B all along) loses nothing. Then the controller is
 * restarted and A killed again: the resumed watch drops B to async, so B keeps committing.
 */
class AddStandbyIT {
  private static final Duration T = Duration.ofSeconds(180);

  @Test
  void oldPrimaryIsAddedBackAsStandbyOfTheNewPrimary() throws Exception {
    FailoverIT.hbaMethod = "trust"; // the rig's clusters have no passwords; pgferry's pg_hba rules must not ask for one
    FailoverIT.inLogicalSync(15, "add-standby", (rig, a, b, t, bPort, bouncer, ledger) -> {
      FailoverIT.killA(rig, a);
      Await.until("FAILOVER done in the journal", T, () -> FailoverIT.journalHas(rig, "PHASE_DONE", "FAILOVER"),
          () -> rig.controller().logTail(30));
      assertTrue(ledger.awaitMore(200, T), "writes continue on b");

      // clear errors
      Command.Result primary = cli(rig, "add-standby", "b");
      assertEquals(2, primary.exitCode(), primary.stdout() + primary.stderr());
      assertTrue(primary.stderr().contains("b is the primary"), primary.stderr());
      Command.Result unknown = cli(rig, "add-standby", "zz");
      assertEquals(2, unknown.exitCode());
      assertTrue(unknown.stderr().contains("unknown node 'zz'"), unknown.stderr());
      Command.Result unreachable = Command.of(pgferry("add-standby", "a", "--controller", "http://127.0.0.1:1"))
          .timeout(Duration.ofSeconds(60)).run();
      assertEquals(2, unreachable.exitCode());
      assertTrue(unreachable.stderr().contains("cannot reach the controller"), unreachable.stderr());

      // A's agent back on the old primary's data dir: it holds the FENCED goal the failover gave it
      rig.startAgent("a", PgBinaries.forMajor(15), a.dataDir(), a.port(), null);
      rig.awaitState("a", "FENCED", T);
      // b's timeline from its WAL insert position: pg_control_checkpoint() may still show the old timeline, since the
      // checkpoint a promotion requests is spread and may not have ended yet
      String bTimeline = b.queryValue("select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int");

      Command.Result added = cli(rig, "add-standby", "a");
      System.out.println("pgferry add-standby a: " + added.stdout() + added.stderr());
      assertEquals(0, added.exitCode(), added.stderr());
      assertTrue(added.stdout().contains("with rebuild"), added.stdout());
      assertTrue(added.stdout().contains("physical slot pgferry_a"), added.stdout());
      assertEquals("physical", b.queryValue("select coalesce(max(slot_type), '') from pg_replication_slots where slot_name = 'pgferry_a'"),
          "add-standby made a's slot on b before a streams");
      rig.awaitState("a", "STREAMING_STANDBY", T);
      Await.until("b sends WAL to a (pg_stat_replication)", T, () -> "streaming".equals(
          b.queryValue("select coalesce(max(state), '') from pg_stat_replication where application_name = 'pgferry_a'")),
          () -> rig.agent("a").logTail(20));
      assertEquals("t", a.queryValue("select pg_is_in_recovery()"));
      Await.until("a streams through its slot pgferry_a on b", T, () -> "true".equals(b.queryValue(
          "select coalesce(bool_or(s.active and s.active_pid = r.pid)::text, 'false') from pg_replication_slots s"
              + " join pg_stat_replication r on r.application_name = 'pgferry_a' where s.slot_name = 'pgferry_a'")),
          () -> b.queryValue("select string_agg(slot_name || ' active=' || active, ', ') from pg_replication_slots"));
      String slotPid = b.queryValue("select active_pid from pg_replication_slots where slot_name = 'pgferry_a'");
      Await.until("a receives on b's timeline " + bTimeline, T, () -> bTimeline.equals(
          a.queryValue("select coalesce(max(received_tli), 0) from pg_stat_wal_receiver")),
          () -> a.queryValue("select coalesce(max(received_tli), 0) || ' ' || coalesce(max(status), '') from pg_stat_wal_receiver"));
      Await.until("b names a its synchronous standby", T, () -> "sync".equals(
          b.queryValue("select coalesce(max(sync_state), '') from pg_stat_replication where application_name = 'pgferry_a'")),
          () -> b.queryValue("show synchronous_standby_names") + " / " + rig.controller().logTail(10));
      assertTrue(ledger.awaitMore(100, T), "writes continue on b with a synchronous");

      long generation = rig.api().node("a").orElseThrow().path("goal").path("generation").asLong();
      long decisions = addStandbyDecisions(rig);
      Command.Result again = cli(rig, "add-standby", "a");
      System.out.println("again: " + again.stdout());
      assertEquals(0, again.exitCode(), again.stderr());
      assertTrue(again.stdout().contains("nothing to do"), again.stdout());
      assertEquals(generation, rig.api().node("a").orElseThrow().path("goal").path("generation").asLong());
      assertEquals(decisions, addStandbyDecisions(rig));
      assertEquals(slotPid, b.queryValue("select active_pid from pg_replication_slots where slot_name = 'pgferry_a'"),
          "the second run keeps a's slot (and its walsender)");

      ledger.stop();
      String bPrint = FailoverIT.fingerprint(b);
      Await.until("rows on a = rows on b", T, () -> FailoverIT.fingerprint(a).equals(bPrint),
          () -> "a " + FailoverIT.fingerprint(a) + " b " + bPrint);
      System.out.println("a = b: " + bPrint);
      FailoverIT.assertLedgerClean(ledger, b);

      // a restarted controller keeps watching: a lost again drops b to async, so b's commits do not hang
      rig.controller().kill();
      rig.restartController();
      Await.until("agents back", T, () -> rig.api().node("a").map(n -> n.path("connected").asBoolean()).orElse(false)
          && rig.api().node("b").map(n -> n.path("connected").asBoolean()).orElse(false), () -> "");
      FailoverIT.killA(rig, a);
      Await.until("the drop to async journaled", T, () -> FailoverIT.journal(rig).stream().anyMatch(r ->
          r.event() == JournalRecord.Event.DECISION && "async".equals(r.evidence().get("durability"))
              && "a".equals(r.evidence().get("node"))), () -> rig.controller().logTail(20));
      assertEquals("", b.queryValue("show synchronous_standby_names"));
      b.execute("create table committed_after_a_lost (x int)"); // would wait forever with a still synchronous
      FailoverIT.journal(rig).stream().filter(r -> r.event() == JournalRecord.Event.DECISION)
          .forEach(r -> System.out.println("decision: " + r.message()));
    });
  }

  private static long addStandbyDecisions(Rig rig) {
    return FailoverIT.journal(rig).stream().filter(r -> r.event() == JournalRecord.Event.DECISION
        && r.message().startsWith("add-standby")).count();
  }

  private static Command.Result cli(Rig rig, String... args) {
    return rig.pgferryCli(List.of(args), Duration.ofSeconds(60));
  }

  private static List<String> pgferry(String... args) {
    List<String> argv = new ArrayList<>(Arrays.asList(Launchers.javaCommand().split(" ")));
    argv.add("-jar");
    argv.add(Launchers.controllerJar().toString());
    argv.addAll(List.of(args));
    return argv;
  }
}
