package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node lost before cutover 1 (#6 item 5): the archive replica a is killed (agent and postmaster, kill -9), its data
 * dir damaged (base/ deleted) and its agent restarted. The controller declares a lost, sends the journey back to
 * ARCHIVE_REPLICA with rebuild in a's goal; a's agent discards the broken dir and restores it from the archive; b
 * streams from the rebuilt a, and cutover 1 runs - with the ledger clean. Once while b builds (STANDBY), once in the
 * middle of cutover 1 with the app blocked: that cutover is undone first (the app writes to the source again).
 */
class NodeLossIT {
  @Test
  void archiveReplicaLostWhileTheStandbyBuildsIsRebuilt() throws Exception {
    JourneyResult r = ScenarioRuns.run("lose-a-standby", JourneyScenario.Options.defaults(),
        s -> s.addHook(s.loseNodeWhen("a", JourneyTable.B_STREAMING)), NodeLossIT::agentDiscardedTheBrokenDir);
    assertRebuiltThenCutOver(r);
  }

  @Test
  void archiveReplicaLostInCutover1IsRebuiltAfterTheCutoverIsUndone() throws Exception {
    JourneyResult r = ScenarioRuns.run("lose-a-cutover", JourneyScenario.Options.defaults(),
        s -> s.addHook(s.loseNodeWhen("a", JourneyTable.C1_BLOCK_APP)), NodeLossIT::agentDiscardedTheBrokenDir);
    assertRebuiltThenCutOver(r);
    assertTrue(r.journal.stream().anyMatch(e -> e.is("STEP_DONE", JourneyTable.C1_UNDO_UNBLOCK)),
        "the blocked app was unblocked on the source before a was rebuilt");
    assertEquals(2, ScenarioRuns.events(r, "STEP_DONE", JourneyTable.C1_BLOCK_APP).size(), "cutover 1 ran twice");
  }

  private static void agentDiscardedTheBrokenDir(JourneyResult r) throws Exception {
    String agentLog = Files.readString(r.logs.resolve("agent-a.log"));
    assertTrue(agentLog.contains("rebuild: discarding the data dir"), "a's agent discarded the broken data dir");
  }

  private static void assertRebuiltThenCutOver(JourneyResult r) throws Exception {
    ScenarioRuns.assertCleanCutover(r);
    List<JournalFile.Entry> lost = r.journal.stream()
        .filter(e -> "DECISION".equals(e.event()) && e.evidence() != null && "a".equals(e.evidence().get("node"))
            && e.message() != null && e.message().contains("lost"))
        .toList();
    assertEquals(1, lost.size(), "one loss decision for a: " + lost);
    assertTrue(r.journal.stream().anyMatch(e -> "REBUILD_REQUESTED".equals(e.event()) && e.evidence() != null && "a".equals(e.evidence().get("node"))),
        "a's rebuild journaled");
    assertTrue(r.journal.stream().anyMatch(e -> e.is("PHASE_RESET", "ARCHIVE_REPLICA")),
        "ARCHIVE_REPLICA runs again");
    List<JournalFile.Entry> assigned = ScenarioRuns.events(r, "STEP_DONE", JourneyTable.A_ASSIGN);
    assertEquals(2, assigned.size(), "a given its goal twice: " + assigned);
    assertTrue(Long.parseLong(assigned.get(1).evidence().get("generation"))
        > Long.parseLong(assigned.get(0).evidence().get("generation")), "a new goal (with rebuild) for a");
    System.out.println("node loss: " + lost.get(0).message() + " " + lost.get(0).evidence());
  }
}
