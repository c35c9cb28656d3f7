package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.plan.PlanLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's rules with scripted steps: order, journal, crash and resume, undo, abort, point of no return. */
class JourneyEngineTest {
  @TempDir
  Path stateDir;

  final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
  final List<String> order = new ArrayList<>();
  final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
  final Map<String, Supplier<StepCheck>> checks = new ConcurrentHashMap<>();
  /** Steps whose rerun after a restart is decided by their check (the rest are idempotent). */
  final Set<String> notRepeatable = new HashSet<>(Set.of(JourneyTable.C1_PROMOTE));
  JourneyEngine current;

  /** Thrown to simulate the controller dying in the middle of a step: after its effect, before its record. */
  static final class Crash extends Error {}

  interface Behaviour {
    void run() throws Exception;
  }

  final class ScriptedStep implements Step {
    final String id;
    final boolean idempotent;

    ScriptedStep(String id, boolean idempotent) {
      this.id = id;
      this.idempotent = idempotent;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public boolean idempotent() {
      return idempotent;
    }

    @Override
    public List<String> describe() {
      return List.of("scripted " + id);
    }

    @Override
    public StepResult run(StepContext ctx) throws Exception {
      runs.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
      synchronized (order) {
        order.add(id);
      }
      Behaviour b = behaviours.get(id);
      if (b != null) {
        b.run();
      }
      return StepResult.of(id + " done");
    }

    @Override
    public StepCheck check(StepContext ctx) {
      Supplier<StepCheck> c = checks.get(id);
      return c == null ? new StepCheck.Unknown("no check") : c.get();
    }
  }

  Map<String, Step> steps() {
    return steps(List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1));
  }

  Map<String, Step> steps(List<Phase> phases) {
    Map<String, Step> m = new LinkedHashMap<>();
    for (Phase p : phases) {
      // later phases stay without steps: the journey waits at LOGICAL_SETUP as with a plan that has no logical: block
      PhaseRule r = JourneyTable.rule(p);
      for (String id : r.steps()) {
        m.put(id, new ScriptedStep(id, !notRepeatable.contains(id)));
      }
      for (String id : r.undoSteps()) {
        m.put(id, new ScriptedStep(id, true));
      }
    }
    return m;
  }

  JourneyEngine.Snapshot run() throws Exception {
    return run(TestPlans.TEXT);
  }

  JourneyEngine.Snapshot run(String planText) throws Exception {
    PlanLoader.Loaded loaded = TestPlans.load(planText);
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      current = new JourneyEngine(loaded.plan(), loaded.text(), steps(), journal, null, Clock.systemUTC(),
          JourneyListener.NONE);
      return current.run();
    }
  }

  int runsOf(String id) {
    return runs.getOrDefault(id, new AtomicInteger()).get();
  }

  List<JournalRecord> journal() throws Exception {
    try (Journal j = Journal.open(stateDir, Clock.systemUTC())) {
      return j.records();
    }
  }

  @Test
  void runsEveryBuiltStepOnceInTableOrderThenWaitsAtTheFirstUnbuiltPhase() throws Exception {
    JourneyEngine.Snapshot end = run();
    assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
    assertEquals(Phase.LOGICAL_SETUP, end.phase());
    List<String> expected = new ArrayList<>();
    for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1)) {
      expected.addAll(JourneyTable.rule(p).steps());
    }
    assertEquals(expected, order);
    assertEquals(0, runsOf(JourneyTable.C1_UNDO_UNBLOCK));
    // every step has a start and a done record, in that order
    List<JournalRecord> records = journal();
    for (String id : expected) {
      int start = indexOf(records, JournalRecord.Event.STEP_STARTED, id);
      int done = indexOf(records, JournalRecord.Event.STEP_DONE, id);
      assertTrue(start >= 0 && done > start, id);
    }
    // resuming a journey that waits changes nothing
    order.clear();
    assertEquals(JourneyEngine.State.WAITING, run().state());
    assertTrue(order.isEmpty(), order.toString());
  }

  @Test
  void aCrashMidStepRerunsOnlyThatIdempotentStep() throws Exception {
    AtomicInteger crashes = new AtomicInteger(1);
    behaviours.put(JourneyTable.A_CAUGHT_UP, () -> {
      if (crashes.getAndDecrement() > 0) {
        throw new Crash();
      }
    });
    try {
      run();
    } catch (Crash expected) {
      // the controller "died" here; its journal file stays as it was written
    }
    assertEquals(1, runsOf(JourneyTable.A_CAUGHT_UP));
    JourneyEngine.Snapshot end = run();
    assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
    assertEquals(1, runsOf(JourneyTable.PREFLIGHT_CHECKS), "done before the crash: never again");
    assertEquals(1, runsOf(JourneyTable.A_ASSIGN), "done before the crash: never again");
    assertEquals(2, runsOf(JourneyTable.A_CAUGHT_UP), "started, not done, idempotent: run again");
    for (String id : JourneyTable.rule(Phase.CUTOVER_1).steps()) {
      assertEquals(1, runsOf(id), id);
    }
  }

  @Test
  void aCrashDuringPromotionIsResolvedByCheckingItsEffect() throws Exception {
    behaviours.put(JourneyTable.C1_PROMOTE, () -> {
      throw new Crash();
    });
    try {
      run();
    } catch (Crash expected) {
      // died after telling A to promote
    }
    behaviours.remove(JourneyTable.C1_PROMOTE);
    checks.put(JourneyTable.C1_PROMOTE, () -> new StepCheck.Done("a is primary", Map.of("timeline", "2")));
    JourneyEngine.Snapshot end = run();
    assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
    assertEquals(1, runsOf(JourneyTable.C1_PROMOTE), "found done by its check: not run again");
    assertEquals(1, runsOf(JourneyTable.C1_REPOINT));
    assertTrue(journal().stream().anyMatch(r -> r.event() == JournalRecord.Event.STEP_DONE
        && JourneyTable.C1_PROMOTE.equals(r.step()) && r.message().contains("found done after a restart")));
    assertEquals(0, runsOf(JourneyTable.C1_UNDO_UNBLOCK), "past the point of no return nothing is undone");
  }

  @Test
  void aCrashDuringPromotionWithUnknownEffectStopsForAPerson() throws Exception {
    behaviours.put(JourneyTable.C1_PROMOTE, () -> {
      throw new Crash();
    });
    try {
      run();
    } catch (Crash expected) {
      // died after telling A to promote
    }
    behaviours.remove(JourneyTable.C1_PROMOTE);
    JourneyEngine.Snapshot end = run();
    assertEquals(JourneyEngine.State.FAILED, end.state());
    assertTrue(end.message().contains("not safe to repeat"), end.message());
    assertEquals(1, runsOf(JourneyTable.C1_PROMOTE));
    assertEquals(0, runsOf(JourneyTable.C1_REPOINT));
    assertEquals(0, runsOf(JourneyTable.C1_UNDO_UNBLOCK));
  }

  @Test
  void aCrashBeforeThePointOfNoReturnWithUnknownEffectUndoesTheCutover() throws Exception {
    notRepeatable.add(JourneyTable.C1_FENCE_SOURCE);
    behaviours.put(JourneyTable.C1_FENCE_SOURCE, () -> {
      throw new Crash();
    });
    try {
      run();
    } catch (Crash expected) {
      // died while fencing the source, the app blocked
    }
    behaviours.remove(JourneyTable.C1_FENCE_SOURCE);
    JourneyEngine.Snapshot end = run();
    assertEquals(JourneyEngine.State.FAILED, end.state());
    assertTrue(end.message().contains("not known whether it took effect"), end.message());
    assertTrue(end.message().contains("the app stays on the source"), end.message());
    assertEquals(1, runsOf(JourneyTable.C1_UNDO_LIFT_FENCE), "the fence is lifted: nobody has to");
    assertEquals(1, runsOf(JourneyTable.C1_UNDO_UNBLOCK), "the app is unblocked: nobody has to");
    assertEquals(1, runsOf(JourneyTable.C1_FENCE_SOURCE), "not repeated");
    assertEquals(0, runsOf(JourneyTable.C1_PROMOTE));
  }

  @Test
  void aFailureBeforePromotionUndoesAndResumeStartsTheCutoverAgain() throws Exception {
    AtomicInteger failures = new AtomicInteger(1);
    behaviours.put(JourneyTable.C1_WAIT_REPLAYED, () -> {
      if (failures.getAndDecrement() > 0) {
        throw new JourneyException("a did not replay 0/5000000 in time");
      }
    });
    JourneyEngine.Snapshot failed = run();
    assertEquals(JourneyEngine.State.FAILED, failed.state());
    assertTrue(failed.message().contains("a did not replay 0/5000000 in time"), failed.message());
    assertTrue(failed.message().contains("the app stays on the source"), failed.message());
    assertEquals(1, runsOf(JourneyTable.C1_UNDO_LIFT_FENCE));
    assertEquals(1, runsOf(JourneyTable.C1_UNDO_UNBLOCK));
    assertEquals(0, runsOf(JourneyTable.C1_PROMOTE));

    JourneyEngine.Snapshot end = run();
    assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
    assertEquals(2, runsOf(JourneyTable.C1_BLOCK_APP), "the phase starts afresh after its undo");
    assertEquals(1, runsOf(JourneyTable.A_ASSIGN), "earlier phases stay done");
    assertEquals(1, runsOf(JourneyTable.C1_PROMOTE));
  }

  /** #13: a secret in an error reaches neither the journal, nor the status, in any of its forms. */
  @Test
  void aSecretInAnErrorIsRedactedInTheJournalAndTheStatus() throws Exception {
    behaviours.put(JourneyTable.C1_WAIT_REPLAYED, () -> {
      throw new JourneyException("connect to postgres://app:hun@ter2@10.0.0.5/appdb failed (host=10.0.0.5"
          + " password=hun@ter2); answer {\"password\": \"hun@ter2\"}");
    });
    JourneyEngine.Snapshot failed = run();
    assertEquals(JourneyEngine.State.FAILED, failed.state());
    assertTrue(failed.message().contains("postgres://app:***@10.0.0.5/appdb"), failed.message());
    assertFalse(failed.message().contains("ter2"), failed.message());
    String journalText = Files.readString(stateDir.resolve(Journal.FILE_NAME));
    assertTrue(journalText.contains("password=***"), journalText);
    assertFalse(journalText.contains("ter2"), journalText);
  }

  @Test
  void aFailedLiftStillUnblocksTheAppAndResumeLiftsTheFenceOnly() throws Exception {
    AtomicInteger silent = new AtomicInteger(1);
    behaviours.put(JourneyTable.C1_WAIT_REPLAYED, () -> {
      throw new JourneyException("a did not replay 0/5000000 in time");
    });
    behaviours.put(JourneyTable.C1_UNDO_LIFT_FENCE, () -> {
      if (silent.getAndDecrement() > 0) {
        throw new JourneyException("lifting the fence failed: The connection attempt failed.");
      }
    });
    JourneyEngine.Snapshot failed = run();
    assertEquals(JourneyEngine.State.FAILED, failed.state());
    assertEquals(List.of(JourneyTable.C1_UNDO_LIFT_FENCE, JourneyTable.C1_UNDO_UNBLOCK),
        order.subList(order.size() - 2, order.size()), "lift first, and the unblock after it even though it failed");
    String stays = JourneyTable.rule(Phase.CUTOVER_1).ifUndoFails().get(JourneyTable.C1_UNDO_LIFT_FENCE);
    assertTrue(failed.message().contains("a did not replay") && failed.message().contains("The connection attempt failed")
        && failed.message().contains("undo incomplete: " + stays), failed.message());
    assertEquals("undo_failed", journal().get(journal().size() - 1).evidence().get("reason"));

    behaviours.remove(JourneyTable.C1_WAIT_REPLAYED);
    JourneyEngine.Snapshot undone = run();
    assertTrue(undone.message().startsWith("finishing the undo of CUTOVER_1 left incomplete; undone:"), undone.message());
    assertEquals(2, runsOf(JourneyTable.C1_UNDO_LIFT_FENCE));
    assertEquals(1, runsOf(JourneyTable.C1_UNDO_UNBLOCK), "unblocked once");
    assertEquals(1, runsOf(JourneyTable.C1_BLOCK_APP), "resume finishes the undo and stops");

    assertEquals(JourneyEngine.State.WAITING, run().state());
    assertEquals(2, runsOf(JourneyTable.C1_BLOCK_APP), "the next resume starts the cutover afresh");
  }

  @Test
  void onlyWhatWasStartedIsUndone() throws Exception {
    behaviours.put(JourneyTable.C1_BLOCK_APP, () -> {
      throw new JourneyException("PAUSE timed out");
    });
    assertEquals(JourneyEngine.State.FAILED, run().state());
    assertEquals(1, runsOf(JourneyTable.C1_UNDO_UNBLOCK), "the block was started: unblock");
    assertEquals(0, runsOf(JourneyTable.C1_UNDO_LIFT_FENCE), "the fence never started: nothing to lift");
  }

  @Test
  void aFailureAfterPromotionIsNotUndoneAndResumeFinishesThePhase() throws Exception {
    AtomicInteger failures = new AtomicInteger(1);
    behaviours.put(JourneyTable.C1_REPOINT, () -> {
      if (failures.getAndDecrement() > 0) {
        throw new JourneyException("pgbouncer RELOAD failed");
      }
    });
    JourneyEngine.Snapshot failed = run();
    assertEquals(JourneyEngine.State.FAILED, failed.state());
    assertTrue(failed.message().contains("no way back"), failed.message());
    assertEquals(0, runsOf(JourneyTable.C1_UNDO_UNBLOCK));

    assertEquals(JourneyEngine.State.WAITING, run().state());
    assertEquals(1, runsOf(JourneyTable.C1_PROMOTE));
    assertEquals(2, runsOf(JourneyTable.C1_REPOINT));
    assertEquals(1, runsOf(JourneyTable.C1_UNBLOCK));
  }

  @Test
  void abortStopsAtTheNextStepBoundaryAndResumeContinues() throws Exception {
    behaviours.put(JourneyTable.A_ASSIGN, () -> current.requestAbort());
    JourneyEngine.Snapshot stopped = run();
    assertEquals(JourneyEngine.State.STOPPED, stopped.state());
    assertEquals(Phase.ARCHIVE_REPLICA, stopped.phase());
    assertTrue(stopped.message().contains("before " + JourneyTable.A_CAUGHT_UP), stopped.message());
    assertEquals(0, runsOf(JourneyTable.A_CAUGHT_UP));
    behaviours.clear();
    assertEquals(JourneyEngine.State.WAITING, run().state());
    assertEquals(1, runsOf(JourneyTable.A_ASSIGN));
    assertEquals(1, runsOf(JourneyTable.A_CAUGHT_UP));
  }

  @Test
  void abortDuringCutoverBeforePromotionUndoes() throws Exception {
    behaviours.put(JourneyTable.C1_FENCE_SOURCE, () -> current.requestAbort());
    JourneyEngine.Snapshot stopped = run();
    assertEquals(JourneyEngine.State.STOPPED, stopped.state());
    assertTrue(stopped.message().contains("undone: writes unblocked"), stopped.message());
    assertEquals(0, runsOf(JourneyTable.C1_FINAL_LSN));
    assertEquals(1, runsOf(JourneyTable.C1_UNDO_UNBLOCK));
  }

  /** A switcher stopped by the controller's shutdown restores the interrupt and fails: the journey stops, it does not fail. */
  @Test
  void aStepThatFailsBecauseTheControllerIsStoppingStopsTheJourneyForResume() throws Exception {
    behaviours.put(JourneyTable.C1_BLOCK_APP, () -> {
      Thread.currentThread().interrupt();
      throw new JourneyException("pgbouncer: interrupted during PAUSE; RESUMEd, nothing switched");
    });
    JourneyEngine.Snapshot stopped;
    try {
      stopped = run();
    } finally {
      Thread.interrupted();
    }
    assertEquals(JourneyEngine.State.STOPPED, stopped.state(), stopped.message());
    assertTrue(stopped.message().contains("the controller stopped during " + JourneyTable.C1_BLOCK_APP), stopped.message());
    assertEquals(0, runsOf(JourneyTable.C1_UNDO_UNBLOCK), "a shutdown leaves the undo to resume or abort");
    behaviours.clear();
    assertEquals(JourneyEngine.State.WAITING, run().state());
    assertEquals(2, runsOf(JourneyTable.C1_BLOCK_APP));
  }

  @Test
  void abortAfterPromotionFinishesTheCutoverFirst() throws Exception {
    behaviours.put(JourneyTable.C1_PROMOTE, () -> current.requestAbort());
    JourneyEngine.Snapshot end = run();
    assertEquals(1, runsOf(JourneyTable.C1_REPOINT));
    assertEquals(1, runsOf(JourneyTable.C1_UNBLOCK));
    assertEquals(1, runsOf(JourneyTable.C1_B_FOLLOWS));
    assertEquals(0, runsOf(JourneyTable.C1_UNDO_UNBLOCK));
    assertFalse(end.state() == JourneyEngine.State.RUNNING);
  }

  @Test
  void aFailoverDuringCutover2WaitsForSyncAgainThenRunsCutover2FromItsStart() throws Exception {
    seedCutover2Started(JourneyTable.C2_READY, JourneyTable.C2_BLOCK_APP, JourneyTable.C2_FENCE_A);
    PlanLoader.Loaded loaded = TestPlans.load(TestPlans.TEXT);
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      JourneyEngine e = new JourneyEngine(loaded.plan(), loaded.text(), steps(List.of(Phase.values())), journal, null,
          Clock.systemUTC(), JourneyListener.NONE);
      assertTrue(e.enterFailover("test: A lost", Map.of()));
      JourneyEngine.Snapshot end = e.run();
      assertEquals(JourneyEngine.State.FINISHED, end.state(), end.message());
    }
    List<String> expected = new ArrayList<>(JourneyTable.rule(Phase.FAILOVER).steps());
    expected.addAll(JourneyTable.rule(Phase.LOGICAL_SYNC).steps());
    expected.addAll(JourneyTable.rule(Phase.CUTOVER_2).steps());
    assertEquals(expected, order, "FAILOVER, then T's sync from B, then all of cutover 2 on B");
  }

  @Test
  void noFailoverOnceCutover2PassedItsPointOfNoReturn() throws Exception {
    seedCutover2Started(JourneyTable.C2_READY, JourneyTable.C2_BLOCK_APP, JourneyTable.C2_FENCE_A,
        JourneyTable.C2_WAIT_APPLIED, JourneyTable.C2_VERIFY, JourneyTable.C2_SEQUENCES, JourneyTable.C2_MATVIEWS,
        JourneyTable.C2_DROP_SUBSCRIPTION);
    PlanLoader.Loaded loaded = TestPlans.load(TestPlans.TEXT);
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      JourneyEngine e = new JourneyEngine(loaded.plan(), loaded.text(), steps(List.of(Phase.values())), journal, null,
          Clock.systemUTC(), JourneyListener.NONE);
      assertTrue(!e.enterFailover("test: A lost", Map.of()), "refused");
      assertTrue(journal.state().phaseStartedAt(Phase.FAILOVER).isEmpty());
    }
  }

  @Test
  void aNodeLostInCutover1BeforePromotionIsRebuiltFromItsBuildingPhase() throws Exception {
    AtomicInteger aborts = new AtomicInteger(1);
    behaviours.put(JourneyTable.C1_WAIT_REPLAYED, () -> {
      if (aborts.getAndDecrement() > 0) {
        current.requestAbort(); // what JourneyService.rebuild does to a running engine
        throw new AbortedException("abort requested while waiting");
      }
    });
    JourneyEngine.Snapshot stopped = run();
    assertEquals(JourneyEngine.State.STOPPED, stopped.state(), stopped.message());
    assertEquals(1, runsOf(JourneyTable.C1_UNDO_UNBLOCK), "the half-done cutover is undone first");

    PlanLoader.Loaded loaded = TestPlans.load(TestPlans.TEXT);
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      JourneyEngine e = new JourneyEngine(loaded.plan(), loaded.text(), steps(), journal, null, Clock.systemUTC(),
          JourneyListener.NONE);
      assertTrue(e.enterRebuild("a", "test: a lost", Map.of("node", "a")));
      assertTrue(journal.state().rebuildRequested("a"));
      assertFalse(journal.state().rebuildRequested("b"));
      assertEquals(JourneyEngine.State.WAITING, e.run().state());
    }
    assertEquals(1, runsOf(JourneyTable.PREFLIGHT_CHECKS), "phases before the lost node's stay done");
    assertEquals(2, runsOf(JourneyTable.A_ASSIGN), "a is given its goal again (with rebuild)");
    assertEquals(2, runsOf(JourneyTable.A_CAUGHT_UP));
    assertEquals(2, runsOf(JourneyTable.B_STREAMING), "b must stream from the rebuilt a");
    assertEquals(2, runsOf(JourneyTable.C1_BLOCK_APP), "cutover 1 starts afresh");
    assertEquals(1, runsOf(JourneyTable.C1_PROMOTE));
  }

  @Test
  void aStandbyLostBeforeCutover1RerunsOnlyTheStandbyPhaseOn() throws Exception {
    behaviours.put(JourneyTable.B_STREAMING, () -> current.requestAbort());
    assertEquals(JourneyEngine.State.STOPPED, run().state());
    behaviours.clear();
    PlanLoader.Loaded loaded = TestPlans.load(TestPlans.TEXT);
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      JourneyEngine e = new JourneyEngine(loaded.plan(), loaded.text(), steps(), journal, null, Clock.systemUTC(),
          JourneyListener.NONE);
      assertTrue(e.enterRebuild("b", "test: b lost", Map.of()));
      assertEquals(JourneyEngine.State.WAITING, e.run().state());
    }
    assertEquals(1, runsOf(JourneyTable.A_ASSIGN), "the archive replica is kept");
    assertEquals(2, runsOf(JourneyTable.B_ASSIGN));
    assertEquals(1, runsOf(JourneyTable.C1_PROMOTE));
  }

  @Test
  void noRebuildOnceCutover1StartedPromoting() throws Exception {
    behaviours.put(JourneyTable.C1_PROMOTE, () -> {
      throw new Crash();
    });
    try {
      run();
    } catch (Crash expected) {
      // the controller died while A was being promoted
    }
    PlanLoader.Loaded loaded = TestPlans.load(TestPlans.TEXT);
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      JourneyEngine e = new JourneyEngine(loaded.plan(), loaded.text(), steps(), journal, null, Clock.systemUTC(),
          JourneyListener.NONE);
      assertFalse(e.enterRebuild("a", "test: a lost", Map.of()), "a may be a primary now: failover, not rebuild");
      assertFalse(journal.state().rebuildRequested("a"));
      assertEquals(Phase.CUTOVER_1, journal.state().phase().orElseThrow());
    }
  }

  private void seedCutover2Started(String... doneSteps) throws Exception {
    try (Journal j = Journal.open(stateDir, Clock.systemUTC())) {
      for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1, Phase.LOGICAL_SETUP,
          Phase.LOGICAL_SYNC)) {
        j.append(JournalRecord.Event.PHASE_DONE, p, null, "seeded", Map.of());
      }
      j.append(JournalRecord.Event.PHASE_STARTED, Phase.CUTOVER_2, null, "seeded", Map.of());
      for (String id : doneSteps) {
        j.append(JournalRecord.Event.STEP_STARTED, Phase.CUTOVER_2, id, null, Map.of());
        j.append(JournalRecord.Event.STEP_DONE, Phase.CUTOVER_2, id, "seeded", Map.of());
      }
    }
  }

  @Test
  void refusesToResumeWithAnotherPlan() throws Exception {
    behaviours.put(JourneyTable.A_ASSIGN, () -> current.requestAbort());
    run();
    behaviours.clear();
    JourneyEngine.Snapshot s = run(TestPlans.engine().pgMajor(16).yaml());
    assertEquals(JourneyEngine.State.FAILED, s.state());
    assertTrue(s.message().contains("the plan changed"), s.message());
    assertEquals(0, runsOf(JourneyTable.A_CAUGHT_UP));
  }

  @Test
  void aTornLastJournalLineIsDroppedOnReload() throws Exception {
    behaviours.put(JourneyTable.A_ASSIGN, () -> current.requestAbort());
    run();
    int before = journal().size();
    Files.writeString(stateDir.resolve(Journal.FILE_NAME), "{\"seq\":99,\"at\":\"2026-",
        StandardOpenOption.APPEND);
    assertEquals(before, journal().size());
    behaviours.clear();
    assertEquals(JourneyEngine.State.WAITING, run().state());
    assertEquals(1, runsOf(JourneyTable.A_ASSIGN));
  }

  private static int indexOf(List<JournalRecord> records, JournalRecord.Event event, String step) {
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).event() == event && step.equals(records.get(i).step())) {
        return i;
      }
    }
    return -1;
  }
}
