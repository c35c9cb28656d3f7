package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.scenario.CrashPoint;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the controller in the middle of ARCHIVE_REPLICA (a restoring from the archive), in the middle of
 * CUTOVER_1 (writes blocked, the source fenced, waiting for a to replay the source's final LSN) and right after
 * cutover 2 fenced a (writes blocked, waiting for T to apply); each time it is restarted and nothing else is done:
 * it resumes the journey by itself (issue #17 item 4) and the journey finishes. The journal shows every step done
 * once, nothing done restarted, only the interrupted waits run again, one automatic-resume record per restart; the
 * ledger is clean and each cutover's write gap stays within its baseline (docs/bench-results.md) plus 6 s.
 */
class ControllerCrashIT {
  @Test
  void journeyResumesByItselfAfterKillsDuringArchiveReplicaAndBothCutovers() {
    JourneyResult r = ScenarioRuns.run("journey-crash", JourneyScenario.Options.defaults().throughCutover2()
        .crashControllerAt(CrashPoint.ARCHIVE_REPLICA, CrashPoint.CUTOVER_1, CrashPoint.CUTOVER_2_FENCED));
    FullJourneyIT.assertWholeJourney(r, false);
    assertEquals(3, r.controllerCrashes.size(), r.controllerCrashes.toString());
    long autoResumes = r.journal.stream().filter(e -> e.event().equals("DECISION") && e.message() != null
        && e.message().startsWith("resumed automatically")).count();
    assertEquals(3, autoResumes, "one automatic resume per controller restart");
    assertGapWithin(r, "cutover_1", CUTOVER_1_BASELINE);
    assertGapWithin(r, "cutover_2", CUTOVER_2_BASELINE);

    List<String> violations = ScenarioRuns.stepsRunAgainAfterDone(r);
    assertTrue(violations.isEmpty(), String.join("\n", violations));
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C1_PROMOTE).size(), "promote started once");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C1_BLOCK_APP).size(), "writes blocked once");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C1_FENCE_SOURCE).size(), "source fenced once");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.A_ASSIGN).size(), "a's goal assigned once");
    assertTrue(r.journal.stream().noneMatch(e -> e.event().equals("PHASE_RESET")), "no phase started afresh");
    // the kill right after cutover 2 fenced a came before the app was unblocked: the restarted controller finished it
    long resumedInCutover2 = r.journal.stream().filter(e -> e.event().equals("DECISION")
        && "resumed automatically after a controller restart at CUTOVER_2".equals(e.message())).findFirst()
        .map(JournalFile.Entry::seq).orElse(-1L);
    assertTrue(resumedInCutover2 > 0, "resumed automatically in CUTOVER_2");
    assertTrue(ScenarioRuns.events(r, "STEP_DONE", JourneyTable.C2_UNBLOCK).get(0).seq() > resumedInCutover2,
        "the app was still blocked when the controller died");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C2_FENCE_A).size(), "a fenced once in cutover 2");
    for (CrashPoint p : List.of(CrashPoint.ARCHIVE_REPLICA, CrashPoint.CUTOVER_1)) {
      List<JournalFile.Entry> starts = ScenarioRuns.events(r, "STEP_STARTED", p.step());
      List<JournalFile.Entry> dones = ScenarioRuns.events(r, "STEP_DONE", p.step());
      assertEquals(2, starts.size(), p.step() + " ran before the kill and again after the automatic resume: " + starts);
      assertEquals(1, dones.size(), p.step() + " done once");
      assertTrue(dones.get(0).seq() > starts.get(1).seq(), p.step() + " was still running when the controller died");
    }
  }

  /**
   * The other kill points of issue #17, the controller down 5 s each time (a service manager restarting it): right
   * after cutover 1 promoted A (writes still blocked, the app not yet repointed), in a failover (A killed in
   * LOGICAL_SYNC) while the controller waits for A's lease to run out, and right after cutover 2 fenced B, the primary
   * the failover left without a standby (writes blocked, waiting for T). Nothing else is done: the restarted
   * controller finishes cutover 1, then the failover (B promoted once), then cutover 2. Each write gap stays within its
   * baseline plus 6 s. B, whose goal names no standby, never stops PostgreSQL although its lease lapses while the
   * controller is down (docs/failsafe.md, "A primary alone"). This is the cold restart, one controller process and
   * no spare: tagged "goal", as it meets issue #17's bound for cutover 1 in about two runs of three on a 2-core machine
   * (docs/ha.md, "What a restart costs"); `./test --all` runs it. The installed default has a warm spare:
   * {@link #aWarmSpareTakesOverAtEachKill}.
   */
  @Test
  @Tag("goal")
  void journeyResumesAfterFiveSecondKillsAfterPromotionAndInAFailover() {
    fiveSecondKillsAfterPromotionAndInAFailover(false);
  }

  /**
   * The same kills with a warm spare beside the controller (`pgferry controller run --spare`, docs/ha.md "A warm
   * spare"), as the systemd units install it: at each kill -9 the spare takes the state dir's lock and resumes the
   * journey at once; the killed one is started again 5 s later and waits as the next spare. Each write gap stays
   * within its baseline plus 3 s (measured: 0.1 to 1.6 s over it), against the 6 s issue #17 allows a restart.
   */
  @Test
  @Tag("slow")
  void aWarmSpareTakesOverAtEachKill() {
    fiveSecondKillsAfterPromotionAndInAFailover(true);
  }

  private static void fiveSecondKillsAfterPromotionAndInAFailover(boolean spare) {
    AtomicReference<String> bLogRef = new AtomicReference<>(""); // read before the workspace goes
    AtomicReference<Long> takeovers = new AtomicReference<>(0L);
    JourneyScenario.Options options = JourneyScenario.Options.wholeJourney()
        .crashControllerAt(CrashPoint.PROMOTED, CrashPoint.FAILOVER_LEASE, CrashPoint.CUTOVER_2_FENCED)
        .controllerDownFor(Duration.ofSeconds(5));
    JourneyResult r = ScenarioRuns.run(spare ? "journey-crash-spare" : "journey-crash-failover",
        spare ? options.withSpareController() : options, s -> { }, res -> {
          bLogRef.set(Files.readString(res.logs.resolve("agent-b.log")));
          takeovers.set(Files.readString(res.logs.resolve("controller.log")).lines()
              .filter(l -> l.contains("spare: the controller before ended")).count());
          // where each restart's time went (docs/ha.md, "What a restart costs")
          Files.readString(res.logs.resolve("controller.log")).lines()
              .filter(l -> l.contains("auto-resume") || l.contains("TLS warm-up") || l.contains("link: node")
                  || l.contains("listening for agents") || l.contains("step_started CUTOVER") || l.contains("step_done CUTOVER")
                  || l.contains("pgferry controller starting"))
              .forEach(l -> System.out.println("restart: " + l));
        });
    FullJourneyIT.assertWholeJourney(r, true);
    assertEquals(3, r.controllerCrashes.size(), r.controllerCrashes.toString());
    assertEquals(3, r.journal.stream().filter(e -> e.event().equals("DECISION") && e.message() != null
        && e.message().startsWith("resumed automatically")).count(), "one automatic resume per controller restart");
    List<String> violations = ScenarioRuns.stepsRunAgainAfterDone(r);
    assertTrue(violations.isEmpty(), String.join("\n", violations));
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C1_PROMOTE).size(), "a promoted once");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.FO_PROMOTE_B).size(), "b promoted once");
    assertTrue(ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.FO_WAIT_LEASE).size() >= 2,
        "the lease wait ran before the kill and again after the restart");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C2_FENCE_A).size(), "b fenced once in cutover 2");
    String bLog = bLogRef.get();
    Duration allowance = spare ? SPARE_ALLOWANCE : RESTART_ALLOWANCE;
    System.out.println("write gaps with a 5 s controller restart in them: " + r.downtime);
    assertAll(
        () -> assertFalse(bLog.contains(FENCING), "b, primary alone after the failover, stopped PostgreSQL while the"
            + " controller was down:\n" + bLog.lines().filter(l -> l.contains(FENCING) || l.contains("LeaseKeeper")).toList()),
        // with a spare the controller is back within a lease: b's never lapses
        () -> assertTrue(spare || bLog.contains("serving on (failsafe, alone)"), "b's lease lapsed while the controller was down"),
        () -> assertGapWithin(r, "cutover_1", CUTOVER_1_BASELINE, allowance, timeline(r, "CUTOVER_1")),
        () -> assertGapWithin(r, "failover", FAILOVER_BASELINE, allowance, timeline(r, "FAILOVER")),
        () -> assertGapWithin(r, "cutover_2", CUTOVER_2_BASELINE, allowance, timeline(r, "CUTOVER_2")),
        () -> assertEquals(spare ? 3L : 0L, takeovers.get(), "takeovers by a warm spare (controller.log)"));
  }

  /** What the agent's converger logs when it stops PostgreSQL for a lapsed lease. */
  private static final String FENCING = "fencing (stopping PostgreSQL)";


  /** The phase's journal with times, for a gap that is too long: where the time went. */
  private static String timeline(JourneyResult r, String phase) {
    StringBuilder sb = new StringBuilder();
    r.journal.stream().filter(e -> phase.equals(e.phase()) || "DECISION".equals(e.event()))
        .forEach(e -> sb.append("\n  ").append(e.at()).append(' ').append(e.event()).append(' ')
            .append(e.step() == null ? "" : e.step()).append(' ')
            .append(e.message() == null ? "" : e.message().substring(0, Math.min(120, e.message().length()))));
    return sb.toString();
  }

  /**
   * Medians of docs/bench-results.md (write downtime through PgBouncer, re-run 2026-12-06 01:20: cutover 1 1.64 s since
   * StatusNow observes now and wakes A's recovery when the source's last segment is archived, was 2.15 s); a restart
   * may add at most 6 s.
   */
  private static final Duration CUTOVER_1_BASELINE = Duration.ofMillis(1640);
  private static final Duration CUTOVER_2_BASELINE = Duration.ofMillis(790);
  /** kill -9 of A -> first commit on B, e2e plan defaults (the same bench: 5.75 s). */
  private static final Duration FAILOVER_BASELINE = Duration.ofMillis(5750);
  private static final Duration RESTART_ALLOWANCE = Duration.ofSeconds(6);
  /**
   * With a warm spare the kill costs its takeover, not the 5 s down: measured 0.1 to 0.6 s over the cutovers'
   * baselines and 0.3 to 1.6 s over the failover's (it waits for B's agent to link again) in clean-clone CI runs.
   */
  private static final Duration SPARE_ALLOWANCE = Duration.ofSeconds(3);

  private static void assertGapWithin(JourneyResult r, String event, Duration baseline) {
    assertGapWithin(r, event, baseline, RESTART_ALLOWANCE, "");
  }

  private static void assertGapWithin(JourneyResult r, String event, Duration baseline, Duration allowance, String timeline) {
    Duration gap = r.downtime.get(event);
    assertTrue(gap != null, "no write downtime measured for " + event + ": " + r.downtime);
    assertTrue(gap.compareTo(baseline.plus(allowance)) <= 0, event + " write gap " + gap.toMillis()
        + " ms with a controller kill in it; at most " + baseline.plus(allowance).toMillis() + " ms" + timeline);
  }
}
