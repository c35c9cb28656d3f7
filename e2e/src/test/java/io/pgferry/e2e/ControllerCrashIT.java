package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.scenario.CrashPoint;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the controller in the middle of ARCHIVE_REPLICA (a restoring from the archive) and again in the middle
 * of CUTOVER_1 (writes blocked, the source fenced, waiting for a to replay the source's final LSN); each time it is
 * restarted and `pgferry resume` finishes. The journal shows every step done once, nothing done restarted, only
 * the interrupted waits run again; the ledger is clean.
 */
class ControllerCrashIT {
  @Test
  void resumeFinishesAfterKillsDuringArchiveReplicaAndCutover1() {
    JourneyResult r = ScenarioRuns.run("journey-crash", JourneyScenario.Options.defaults()
        .crashControllerAt(CrashPoint.ARCHIVE_REPLICA, CrashPoint.CUTOVER_1));
    ScenarioRuns.assertCleanCutover(r);
    assertEquals(2, r.controllerCrashes.size(), r.controllerCrashes.toString());

    List<String> violations = new ArrayList<>();
    Set<String> done = new LinkedHashSet<>();
    for (JournalFile.Entry e : r.journal) {
      if (e.step() == null) {
        continue;
      }
      if (e.event().equals("STEP_STARTED") && done.contains(e.step())) {
        violations.add("#" + e.seq() + " " + e.step() + " started again after it was done");
      }
      if (e.event().equals("STEP_DONE") && !done.add(e.step())) {
        violations.add("#" + e.seq() + " " + e.step() + " done twice");
      }
    }
    assertTrue(violations.isEmpty(), String.join("\n", violations));
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C1_PROMOTE).size(), "promote started once");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C1_BLOCK_APP).size(), "writes blocked once");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C1_FENCE_SOURCE).size(), "source fenced once");
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.A_ASSIGN).size(), "a's goal assigned once");
    assertTrue(r.journal.stream().noneMatch(e -> e.event().equals("PHASE_RESET")), "no phase started afresh");
    for (CrashPoint p : CrashPoint.values()) {
      List<JournalFile.Entry> starts = ScenarioRuns.events(r, "STEP_STARTED", p.step());
      List<JournalFile.Entry> dones = ScenarioRuns.events(r, "STEP_DONE", p.step());
      assertEquals(2, starts.size(), p.step() + " ran before the kill and again after resume: " + starts);
      assertEquals(1, dones.size(), p.step() + " done once");
      assertTrue(dones.get(0).seq() > starts.get(1).seq(), p.step() + " was still running when the controller died");
    }
  }
}
