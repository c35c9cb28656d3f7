package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.JournalRecord.Event;
import io.pgferry.controller.plan.PlanLoader;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Holds before a cutover: journaled, kept across a restart, ended by a proceed (now or --at) or an abort. */
class HoldTest {
  @TempDir
  Path stateDir;

  final List<String> ran = Collections.synchronizedList(new ArrayList<>());

  List<Phase> phases = List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1);

  Map<String, Step> steps() {
    Map<String, Step> m = new LinkedHashMap<>();
    for (Phase p : phases) {
      for (String id : JourneyTable.rule(p).steps()) {
        m.put(id, new Step() {
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
            return List.of("does " + id);
          }

          @Override
          public StepResult run(StepContext ctx) {
            ran.add(id);
            return StepResult.of(id + " done");
          }
        });
      }
    }
    return m;
  }

  JourneyEngine engine(Journal journal) {
    PlanLoader.Loaded loaded = TestPlans.load(TestPlans.TEXT);
    return new JourneyEngine(loaded.plan(), loaded.text(), steps(), journal, null, Clock.systemUTC(), JourneyListener.NONE)
        .withHoldProbes(Map.of(Phase.CUTOVER_1, ctx -> "B 0 bytes behind"));
  }

  static void holds(Journal journal, String holds) throws Exception {
    journal.append(Event.HOLDS_SET, null, null, "holds", Map.of("holds", holds));
  }

  static JourneyEngine.Snapshot awaitState(JourneyEngine e, JourneyEngine.State state) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (e.snapshot().state() != state) {
      assertTrue(System.nanoTime() < deadline, "engine never " + state + ": " + e.snapshot());
      Thread.sleep(20);
    }
    return e.snapshot();
  }

  long count(Journal j, Event event) {
    return j.records().stream().filter(r -> r.event() == event).count();
  }

  @Test
  void holdsBeforeCutover1UntilProceedAndThatSurvivesARestart() throws Exception {
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      holds(journal, "CUTOVER_1,CUTOVER_2");
      JourneyEngine first = engine(journal);
      CompletableFuture<JourneyEngine.Snapshot> run = CompletableFuture.supplyAsync(first::run);
      JourneyEngine.Snapshot held = awaitState(first, JourneyEngine.State.HELD);
      assertEquals(Phase.CUTOVER_1, held.phase());
      assertTrue(held.message().contains("held before CUTOVER_1 — run `pgferry proceed`"), held.message());
      assertTrue(ran.contains(JourneyTable.B_STREAMING));
      assertFalse(ran.stream().anyMatch(id -> id.startsWith("cutover_1.")), "no cutover step before proceed: " + ran);
      assertTrue(first.describe(Phase.CUTOVER_1).contains("does cutover_1.block_app"));
      awaitProgress(first, "lag: B 0 bytes behind");

      // the controller stops (or hands over): the hold ends with nothing of the cutover done
      first.requestAbort();
      JourneyEngine.Snapshot stopped = run.get();
      assertEquals(JourneyEngine.State.STOPPED, stopped.state());
      assertTrue(stopped.message().contains("aborted while held before CUTOVER_1"), stopped.message());

      // a new engine (a restarted controller) holds again, without a second HOLD_REACHED
      JourneyEngine second = engine(journal);
      run = CompletableFuture.supplyAsync(second::run);
      awaitState(second, JourneyEngine.State.HELD);
      assertEquals(1, count(journal, Event.HOLD_REACHED));
      assertFalse(ran.stream().anyMatch(id -> id.startsWith("cutover_1.")));

      journal.append(Event.PROCEED_REQUESTED, Phase.CUTOVER_1, null, "proceed", Map.of("at", Instant.now().toString()));
      JourneyEngine.Snapshot end = run.get();
      assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
      assertEquals(Phase.LOGICAL_SETUP, end.phase());
      assertTrue(ran.contains(JourneyTable.C1_B_FOLLOWS));
    }
  }

  @Test
  void aFailoverWhileHeldBeforeCutover2RunsAndCutover2HoldsAgain() throws Exception {
    phases = List.of(Phase.values());
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      holds(journal, "CUTOVER_2");
      JourneyEngine first = engine(journal);
      CompletableFuture<JourneyEngine.Snapshot> run = CompletableFuture.supplyAsync(first::run);
      assertEquals(Phase.CUTOVER_2, awaitState(first, JourneyEngine.State.HELD).phase());

      // what JourneyService.failover does: hand over, then enter FAILOVER in a new engine
      first.requestHandOver("failover started: a failed");
      JourneyEngine.Snapshot stopped = run.get();
      assertTrue(stopped.message().contains("stopped in CUTOVER_2 while held before it for failover started: a failed"),
          stopped.message());
      JourneyEngine second = engine(journal);
      assertTrue(second.enterFailover("a failed", Map.of()));
      run = CompletableFuture.supplyAsync(second::run);
      assertEquals(Phase.CUTOVER_2, awaitState(second, JourneyEngine.State.HELD).phase());
      assertTrue(ran.containsAll(JourneyTable.rule(Phase.FAILOVER).steps()), "the failover ran while held: " + ran);
      assertFalse(ran.stream().anyMatch(id -> id.startsWith("cutover_2.")), "cutover 2 still held: " + ran);

      journal.append(Event.PROCEED_REQUESTED, Phase.CUTOVER_2, null, "proceed", Map.of("at", Instant.now().toString()));
      second.proceedRecorded();
      assertEquals(JourneyEngine.State.FINISHED, run.get().state());
    }
  }

  @Test
  void aScheduledProceedStartsTheCutoverNotBeforeItsTimeEvenAcrossARestart() throws Exception {
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      holds(journal, "CUTOVER_1");
      Instant at = Instant.now().plusMillis(1500);
      journal.append(Event.PROCEED_REQUESTED, Phase.CUTOVER_1, null, "proceed --at", Map.of("at", at.toString()));
      JourneyEngine first = engine(journal);
      CompletableFuture<JourneyEngine.Snapshot> run = CompletableFuture.supplyAsync(first::run);
      JourneyEngine.Snapshot held = awaitState(first, JourneyEngine.State.HELD);
      assertTrue(held.message().contains("until " + at), held.message());
      first.requestAbort();
      run.get();

      JourneyEngine.Snapshot end = engine(journal).run();
      assertEquals(Phase.LOGICAL_SETUP, end.phase(), end.message());
      Instant cutoverStarted = Instant.parse(journal.records().stream()
          .filter(r -> r.event() == Event.STEP_STARTED && JourneyTable.C1_READY.equals(r.step())).findFirst().orElseThrow().at());
      assertFalse(cutoverStarted.isBefore(at), "cutover 1 started at " + cutoverStarted + ", before " + at);
    }
  }

  @Test
  void noHoldsRecordedMeansNoHold() throws Exception {
    try (Journal journal = Journal.open(stateDir, Clock.systemUTC())) {
      holds(journal, "");
      JourneyEngine.Snapshot end = engine(journal).run();
      assertEquals(Phase.LOGICAL_SETUP, end.phase(), end.message());
      assertEquals(0, count(journal, Event.HOLD_REACHED));
    }
  }

  @Test
  void aResetCutoverHoldsAgain() throws Exception {
    Instant t0 = Instant.parse("2026-12-04T10:00:00Z");
    List<JournalRecord> records = new ArrayList<>(List.of(
        new JournalRecord(1, t0.toString(), Event.HOLDS_SET, null, null, null, Map.of("holds", "CUTOVER_2")),
        new JournalRecord(2, t0.toString(), Event.HOLD_REACHED, "CUTOVER_2", null, null, null),
        new JournalRecord(3, t0.toString(), Event.PROCEED_REQUESTED, "CUTOVER_2", null, null, Map.of("at", t0.toString()))));
    assertFalse(JournalState.replay(records).holdsBefore(Phase.CUTOVER_2, t0.plusSeconds(1)));
    assertTrue(JournalState.replay(records).holdsBefore(Phase.CUTOVER_2, t0.minusSeconds(1)), "a proceed --at not due yet");
    records.add(new JournalRecord(4, t0.toString(), Event.PHASE_RESET, "CUTOVER_2", null, null, null));
    JournalState st = JournalState.replay(records);
    assertTrue(st.holdsBefore(Phase.CUTOVER_2, t0.plusSeconds(1)));
    assertTrue(st.heldSince(Phase.CUTOVER_2).isEmpty());
    assertFalse(st.holdsBefore(Phase.CUTOVER_1, t0), "only the recorded holds");
  }

  @Test
  void proceedTimes() {
    Clock clock = Clock.fixed(Instant.parse("2026-12-04T22:30:00Z"), ZoneOffset.UTC);
    assertEquals(Instant.parse("2026-12-04T23:10:00Z"), ProceedTime.parse("23:10", clock));
    assertEquals(Instant.parse("2026-12-05T03:00:00Z"), ProceedTime.parse("3:00", clock), "the next 03:00 is tomorrow");
    assertEquals(Instant.parse("2026-12-04T22:30:05Z"), ProceedTime.parse("22:30:05", clock));
    assertEquals(Instant.parse("2026-12-05T02:00:00Z"), ProceedTime.parse("2026-12-05T03:00+01:00", clock));
    UsageException past = assertThrows(UsageException.class, () -> ProceedTime.parse("2026-12-04T22:00:00Z", clock));
    assertTrue(past.getMessage().contains("in the past"), past.getMessage());
    UsageException bad = assertThrows(UsageException.class, () -> ProceedTime.parse("tonight", clock));
    assertTrue(bad.getMessage().contains("ISO-8601"), bad.getMessage());
    assertThrows(UsageException.class, () -> ProceedTime.parse("25:00", clock));
    assertThrows(UsageException.class, () -> ProceedTime.instant("23:10"));
  }

  static void awaitProgress(JourneyEngine e, String progress) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!progress.equals(e.snapshot().progress())) {
      assertTrue(System.nanoTime() < deadline, "progress never " + progress + ": " + e.snapshot());
      Thread.sleep(20);
    }
  }
}
