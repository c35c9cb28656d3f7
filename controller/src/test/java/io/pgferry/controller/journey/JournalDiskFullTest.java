package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JournalRecord.Event;
import io.pgferry.controller.plan.PlanLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on a small tmpfs that fills up mid-way: the file keeps its complete records and reloads, and the
 * engine undoes a cutover it can no longer record. Needs root (mount); skipped, saying so, where a tmpfs cannot be
 * mounted.
 */
class JournalDiskFullTest {
  @TempDir
  Path tmp;
  SmallTmpfs disk;

  @BeforeEach
  void mountSmallTmpfs() throws Exception {
    disk = SmallTmpfs.mount(tmp.resolve("disk"), "256k");
  }

  @AfterEach
  void unmount() throws Exception {
    if (disk != null) {
      disk.close();
    }
  }

  @Test
  void aFailedAppendLeavesTheLastCompleteRecordAndTheJournalReloads() throws Exception {
    Path state = disk.root.resolve("state");
    Path file = state.resolve(Journal.FILE_NAME);
    try (Journal j = Journal.open(state, Clock.systemUTC())) {
      j.append(Event.JOURNEY_STARTED, null, null, "started", Map.of());
      j.append(Event.PHASE_STARTED, Phase.PREFLIGHT, null, "a valid plan", Map.of());
      long complete = Files.size(file);
      assertTrue(disk.fill() > 0);
      Journal.Unwritable e = assertThrows(Journal.Unwritable.class,
          () -> j.append(Event.DECISION, Phase.PREFLIGHT, null, "x".repeat(64 * 1024), Map.of()));
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      assertTrue(e.getMessage().contains("it holds the 2 records before this one"), e.getMessage());
      assertEquals(complete, Files.size(file), "cut back to the last complete record");
      assertEquals(2, j.records().size());
      disk.free();
      assertThrows(Journal.Unwritable.class, () -> j.append(Event.DECISION, Phase.PREFLIGHT, null, "small", Map.of()),
          "once failed, the journal takes nothing more until it is opened again");
    }
    try (Journal j = Journal.open(state, Clock.systemUTC())) {
      assertEquals(2, j.records().size(), "the next start reads the journal");
      j.append(Event.DECISION, Phase.PREFLIGHT, null, "room again", Map.of());
    }
    try (Journal j = Journal.open(state, Clock.systemUTC())) {
      assertEquals(List.of(1L, 2L, 3L), j.records().stream().map(JournalRecord::seq).toList());
    }
  }

  @Test
  void aTornLastLineWithItsNewlineIsDroppedOnLoad() throws Exception {
    Path state = disk.root.resolve("state");
    try (Journal j = Journal.open(state, Clock.systemUTC())) {
      j.append(Event.JOURNEY_STARTED, null, null, "started", Map.of());
    }
    Files.writeString(state.resolve(Journal.FILE_NAME), "{\"seq\":2,\"at\":\"2026-\u0000\u0000\n",
        StandardOpenOption.APPEND);
    try (Journal j = Journal.open(state, Clock.systemUTC())) {
      assertEquals(1, j.records().size());
      j.append(Event.DECISION, null, null, "after the torn line", Map.of());
    }
    try (Journal j = Journal.open(state, Clock.systemUTC())) {
      assertEquals(2, j.records().size());
    }
  }

  /**
   * Cutover 1 with the app blocked and the source fenced, then the disk fills: the engine cannot record the fence,
   * so it unblocks the app and lifts the fence (unrecorded) before it stops, and says why and what to do.
   */
  @Test
  void aJournalThatCannotBeWrittenDuringACutoverUndoesItBeforeTheEngineStops() throws Exception {
    Path state = disk.root.resolve("state");
    List<String> ran = Collections.synchronizedList(new ArrayList<>());
    Map<String, Step> steps = new LinkedHashMap<>();
    for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1)) {
      PhaseRule r = JourneyTable.rule(p);
      r.steps().forEach(id -> steps.put(id, new Recorded(id, ran, id.equals(JourneyTable.C1_FENCE_SOURCE))));
      r.undoSteps().forEach(id -> steps.put(id, new Recorded(id, ran, false)));
    }
    JourneyEngine.Snapshot end;
    try (Journal journal = Journal.open(state, Clock.systemUTC())) {
      PlanLoader.Loaded plan = TestPlans.load(TestPlans.TEXT);
      end = new JourneyEngine(plan.plan(), plan.text(), steps, journal, null, Clock.systemUTC(),
          JourneyListener.NONE).run();
    }
    assertEquals(JourneyEngine.State.FAILED, end.state(), end.message());
    assertEquals(Phase.CUTOVER_1, end.phase());
    assertTrue(end.message().contains("No space left on device"), end.message());
    assertTrue(end.message().contains("undone: writes unblocked, the source fence lifted"), end.message());
    assertTrue(end.message().contains("`pgferry resume` (or `abort`) records it first"), end.message());
    assertTrue(ran.contains(JourneyTable.C1_UNDO_LIFT_FENCE), ran.toString());
    assertTrue(ran.contains(JourneyTable.C1_UNDO_UNBLOCK), ran.toString());
    assertFalse(ran.contains(JourneyTable.C1_FINAL_LSN), "nothing after the unrecorded step: " + ran);
    assertFalse(ran.contains(JourneyTable.C1_PROMOTE), ran.toString());

    disk.free();
    try (Journal journal = Journal.open(state, Clock.systemUTC())) {
      JournalState st = journal.state();
      assertTrue(st.isDone(JourneyTable.C1_BLOCK_APP), "the journal reloads with what was recorded");
      assertEquals(1, st.step(JourneyTable.C1_FENCE_SOURCE).starts());
      assertEquals(Optional.of(Phase.CUTOVER_1), journal.unrecordedUndo(), "noted outside the journal");
    }
  }

  /** A step that records that it ran; the fence step fills the disk and says so at length, so its record cannot fit. */
  private final class Recorded implements Step {
    private final String id;
    private final List<String> ran;
    private final boolean fillsTheDisk;

    Recorded(String id, List<String> ran, boolean fillsTheDisk) {
      this.id = id;
      this.ran = ran;
      this.fillsTheDisk = fillsTheDisk;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public boolean idempotent() {
      return true;
    }

    @Override
    public List<String> describe() {
      return List.of(id);
    }

    @Override
    public StepResult run(StepContext ctx) {
      ran.add(id);
      if (fillsTheDisk) {
        disk.fill();
        return StepResult.of("fenced: " + "every session ended ".repeat(1000));
      }
      return StepResult.of(id + " done");
    }
  }
}
