package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JourneyTableTest {
  @Test
  void everyPhaseHasARuleAndTheNormalPathEndsAtDone() {
    List<Phase> path = new ArrayList<>();
    Phase p = Phase.PREFLIGHT;
    while (p != Phase.DONE) {
      path.add(p);
      p = JourneyTable.rule(p).next();
    }
    assertEquals(List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1, Phase.LOGICAL_SETUP,
        Phase.LOGICAL_SYNC, Phase.CUTOVER_2), path);
    for (Phase phase : Phase.values()) {
      assertNotNull(JourneyTable.rule(phase), phase.name());
    }
  }

  @Test
  void failoverOnlyAfterCutoverOneAndBeforeTheAppIsOnTheTarget() {
    for (Phase phase : Phase.values()) {
      boolean expected = phase.ordinal() > Phase.CUTOVER_1.ordinal() && phase.ordinal() < Phase.DONE.ordinal();
      assertEquals(expected, JourneyTable.failoverReachableFrom(phase), phase.name());
    }
  }

  /**
   * The routing columns the controller loop reads instead of phase lists of its own: every phase has them, and they
   * say what docs/journey.md's table says.
   */
  @Test
  void everyPhaseHasItsRoutingColumns() {
    StringBuilder table = new StringBuilder();
    for (Phase phase : Phase.values()) {
      PhaseRule r = JourneyTable.rule(phase);
      assertNotNull(r.onPrimaryLoss(), phase + " on primary loss");
      assertNotNull(r.onReplicaLoss(), phase + " on replica loss");
      assertNotNull(r.afterFailover(), phase + " after failover");
      table.append(phase).append(" | ").append(r.onPrimaryLoss().describe(r)).append(" | ")
          .append(r.onReplicaLoss().describe(r)).append(" | ").append(r.afterFailover()).append("\n");
    }
    assertEquals("""
        PREFLIGHT | not allowed | not allowed | KEPT
        ARCHIVE_REPLICA | not allowed | REBUILD | KEPT
        STANDBY | not allowed | REBUILD | KEPT
        CUTOVER_1 | not allowed | REBUILD (until cutover_1.promote_a starts) | KEPT
        LOGICAL_SETUP | FAILOVER | DROP_TO_ASYNC | KEPT
        LOGICAL_SYNC | FAILOVER | DROP_TO_ASYNC | AGAIN_IF_DONE
        CUTOVER_2 | FAILOVER (until cutover_2.drop_subscription starts) | DROP_TO_ASYNC | STARTS_OVER
        DONE | not allowed | not allowed | KEPT
        FAILOVER | not allowed | not allowed | KEPT
        """, table.toString());
    assertEquals(List.of(Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1), JourneyTable.rebuiltPhases());
  }

  @Test
  void theRoutesCloseAtThePointOfNoReturn() {
    JournalState before = JournalState.replay(List.of(
        new JournalRecord(1, "2026-01-01T00:00:00Z", JournalRecord.Event.JOURNEY_STARTED, null, null, "", Map.of()),
        new JournalRecord(2, "2026-01-01T00:00:00Z", JournalRecord.Event.PHASE_STARTED, "CUTOVER_1", null, "", Map.of())));
    assertTrue(JourneyTable.rebuildReachableFrom(Phase.CUTOVER_1, before));
    JournalState promoting = JournalState.replay(List.of(
        new JournalRecord(1, "2026-01-01T00:00:00Z", JournalRecord.Event.JOURNEY_STARTED, null, null, "", Map.of()),
        new JournalRecord(2, "2026-01-01T00:00:00Z", JournalRecord.Event.PHASE_STARTED, "CUTOVER_1", null, "", Map.of()),
        new JournalRecord(3, "2026-01-01T00:00:01Z", JournalRecord.Event.STEP_STARTED, "CUTOVER_1", JourneyTable.C1_PROMOTE,
            "", Map.of())));
    assertFalse(JourneyTable.rebuildReachableFrom(Phase.CUTOVER_1, promoting));
    assertEquals(LossRoute.Route.NOT_ALLOWED, JourneyTable.replicaLossRoute(promoting));
    assertFalse(JourneyTable.failoverOpen(promoting));
  }

  @Test
  void stepIdsAreUniqueAndCutoverOnesPointOfNoReturnIsThePromotion() {
    Set<String> seen = new HashSet<>();
    for (PhaseRule r : JourneyTable.rules()) {
      for (String id : r.steps()) {
        assertTrue(seen.add(id), "duplicate step id " + id);
      }
      for (String id : r.undoSteps()) {
        assertTrue(seen.add(id), "duplicate step id " + id);
      }
    }
    PhaseRule c1 = JourneyTable.rule(Phase.CUTOVER_1);
    assertEquals(JourneyTable.C1_PROMOTE, c1.pointOfNoReturn().orElseThrow());
    List<String> s = c1.steps();
    assertTrue(s.indexOf(JourneyTable.C1_BLOCK_APP) < s.indexOf(JourneyTable.C1_FENCE_SOURCE));
    assertTrue(s.indexOf(JourneyTable.C1_FENCE_SOURCE) < s.indexOf(JourneyTable.C1_FINAL_LSN));
    assertTrue(s.indexOf(JourneyTable.C1_WAIT_REPLAYED) < s.indexOf(JourneyTable.C1_PROMOTE));
    assertTrue(s.indexOf(JourneyTable.C1_PROMOTE) < s.indexOf(JourneyTable.C1_REPOINT));
    assertTrue(s.indexOf(JourneyTable.C1_REPOINT) < s.indexOf(JourneyTable.C1_UNBLOCK));
    assertTrue(c1.undoSteps().contains(JourneyTable.C1_UNDO_UNBLOCK));
  }

  /**
   * The engine unblocks the app even when an undo step before the unblock failed (a fence on a silent database): safe
   * only because no step before the point of no return repoints the app, so an undo lets it go where it was.
   */
  @Test
  void anUndoneAppPointsWhereItWasAndEveryUndoStepSaysWhatStaysWhenItFails() {
    for (PhaseRule r : JourneyTable.rules()) {
      if (!r.hasUndo()) {
        continue;
      }
      int pointOfNoReturn = r.steps().indexOf(r.pointOfNoReturn().orElseThrow());
      r.steps().stream().filter(id -> id.endsWith(".repoint_app"))
          .forEach(id -> assertTrue(r.steps().indexOf(id) > pointOfNoReturn, id + " comes before " + r.pointOfNoReturn()));
      assertEquals(Set.copyOf(r.undoSteps()), r.ifUndoFails().keySet(), r.phase().toString());
      r.ifUndoFails().values().forEach(s -> assertTrue(s.contains("`pgferry resume`"), s));
    }
  }

  @Test
  void everyStepOfTheBuiltPhasesExistsAndOnlyThePromotionIsNotRepeatable() {
    var plan = TestPlans.load(TestPlans.TEXT).plan();
    Map<String, Step> steps = JourneySteps.build(plan, JourneyWiring.defaults().ports(plan, null));
    for (Phase p : List.of(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1)) {
      PhaseRule r = JourneyTable.rule(p);
      for (String id : r.steps()) {
        assertTrue(steps.containsKey(id), id);
        assertFalse(steps.get(id).describe().isEmpty(), id);
        assertEquals(!id.equals(JourneyTable.C1_PROMOTE), steps.get(id).idempotent(), id);
      }
      r.undoSteps().forEach(id -> assertTrue(steps.get(id).idempotent(), id));
    }
  }
}
