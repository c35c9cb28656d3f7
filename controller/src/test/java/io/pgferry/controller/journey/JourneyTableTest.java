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
