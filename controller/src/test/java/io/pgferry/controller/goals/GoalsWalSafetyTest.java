package io.pgferry.controller.goals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanException;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.testkit.plan.PlanBuilder;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** wal_safety.max_slot_wal_keep_size reaches A's PRIMARY goal, only on a major that knows the setting. */
class GoalsWalSafetyTest {
  private static Plan plan(PlanBuilder b) {
    return PlanLoader.parse("plan.yaml", b.yaml(), null).plan();
  }

  @Test
  void thePrimaryGoalCarriesTheLimitFromPostgres13() {
    Plan p = plan(PlanBuilder.plan().walSafety("max_slot_wal_keep_size", "50GB")); // PlanBuilder's source.pg_major: 15
    assertEquals("50GB", Goals.primary(p, Optional.empty()).getSettingsMap().get("max_slot_wal_keep_size"));
  }

  @Test
  void notOnPostgres11NorWithoutALimit() {
    assertFalse(Goals.primary(plan(PlanBuilder.plan().pgMajor(11).walSafety("max_slot_wal_keep_size", "50GB")), Optional.empty())
        .getSettingsMap().containsKey("max_slot_wal_keep_size"));
    assertFalse(Goals.primary(plan(PlanBuilder.plan()), Optional.empty()).getSettingsMap().containsKey("max_slot_wal_keep_size"));
  }

  @Test
  void aSizePostgresWouldRefuseIsAPlanError() {
    PlanException e = org.junit.jupiter.api.Assertions.assertThrows(PlanException.class,
        () -> plan(PlanBuilder.plan().walSafety("max_slot_wal_keep_size", "lots")));
    assertTrue(e.getMessage().contains("wal_safety.max_slot_wal_keep_size: 'lots' is not a size"), e.getMessage());
  }
}
