package io.pgferry.controller.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Lsn;
import io.pgferry.controller.sql.failover.SlotPositions.Readings;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The failover's position rule without a database: slot <= target <= promotion, and only a proven slot. */
class PositionCheckTest {
  private static final List<String> ALL = List.of("public.a", "public.b");

  private static Readings at(String slot, String target, String promotion, List<String> syncing) {
    return new Readings(Lsn.parse(target), Lsn.parse(promotion), Lsn.parse(slot), syncing, ALL);
  }

  @Test
  void safeWhenTheTargetStandsBetweenTheSlotAndThePromotion() {
    PositionCheck.Result r = PositionCheck.decide(at("0/100", "0/200", "0/300", List.of()), "s", true);
    assertTrue(r.safe(), r.reason());
    assertEquals(List.of(), r.tablesAtRisk());
  }

  @Test
  void tablesInInitialSyncAreAtRiskEvenWhenThePositionIsSafe() {
    PositionCheck.Result r = PositionCheck.decide(at("0/100", "0/200", "0/300", List.of("public.b")), "s", true);
    assertFalse(r.safe());
    assertEquals(List.of("public.b"), r.tablesAtRisk());
  }

  @Test
  void unsafeCasesPutEveryTableAtRisk() {
    assertEquals(ALL, PositionCheck.decide(at("0/300", "0/200", "0/400", List.of()), "s", true).tablesAtRisk(),
        "slot ahead of the target");
    assertEquals(ALL, PositionCheck.decide(at("0/100", "0/500", "0/400", List.of()), "s", true).tablesAtRisk(),
        "target past the promotion point");
    assertEquals(ALL, PositionCheck.decide(at("0/100", "0/200", "0/300", List.of()), "s", false).tablesAtRisk(),
        "slot not proven");
    assertFalse(PositionCheck.decide(new Readings(Lsn.parse("0/200"), Lsn.parse("0/300"), Lsn.INVALID, List.of(), ALL),
        "s", true).safe(), "no slot on the new primary");
  }
}
