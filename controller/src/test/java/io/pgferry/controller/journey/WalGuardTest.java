package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.slots.SlotWal;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class WalGuardTest {
  private static final long GIB = 1L << 30;
  private static final Instant T0 = Instant.parse("2026-12-04T12:00:00Z");

  private static WalGuard.Reading reading(long seconds, long retained, long free, OptionalLong safe) {
    return new WalGuard.Reading(T0.plusSeconds(seconds), List.of(new SlotWal.Slot("pgferry_sub", "logical", "reserved", retained, safe)),
        free, 100 * GIB);
  }

  @Test
  void growthThatFillsTheDiskWithinTheHorizonWarnsWithAForecast() {
    WalGuard g = new WalGuard(new Plan.WalSafety(null, 20, 6));
    assertFalse(g.assess(reading(0, GIB, 50 * GIB, OptionalLong.empty())).warning().isPresent(), "one reading: no rate yet");
    // 1 GiB more in 60 s: 50 GiB free last under an hour
    WalGuard.Assessment a = g.assess(reading(60, 2 * GIB, 49 * GIB, OptionalLong.empty()));
    assertTrue(a.warning().orElseThrow().contains("disk will be full in"), a.toString());
  }

  @Test
  void theSlotLimitComesFirstWhenSafeWalSizeIsSmallerThanTheFreeDisk() {
    WalGuard g = new WalGuard(new Plan.WalSafety("50GB", 20, 6));
    g.assess(reading(0, GIB, 80 * GIB, OptionalLong.of(10 * GIB)));
    WalGuard.Assessment a = g.assess(reading(3600, 2 * GIB, 79 * GIB, OptionalLong.of(9 * GIB)));
    assertTrue(a.line().contains("slot invalidated (max_slot_wal_keep_size) in 9.0 h"), a.toString());
    assertFalse(a.warning().isPresent(), "9 h is beyond the 6 h horizon: " + a);
    WalGuard.Assessment soon = g.assess(reading(7200, 3 * GIB, 78 * GIB, OptionalLong.of(3 * GIB)));
    assertTrue(soon.warning().orElseThrow().contains("the slot will be invalidated by max_slot_wal_keep_size in 3.0 h"), soon.toString());
  }

  @Test
  void slowGrowthWithPlentyOfDiskIsQuietButLowFreeSpaceWarns() {
    WalGuard g = new WalGuard(new Plan.WalSafety(null, 20, 6));
    g.assess(reading(0, GIB, 50 * GIB, OptionalLong.empty()));
    assertFalse(g.assess(reading(3600, GIB + (1L << 20), 50 * GIB, OptionalLong.empty())).warning().isPresent());
    assertTrue(g.assess(reading(7200, GIB, 10 * GIB, OptionalLong.empty())).warning().orElseThrow().contains("under wal_safety.warn_free_below_percent 20%"));
  }
}
