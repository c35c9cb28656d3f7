package io.pgferry.agent.slots;

import io.pgferry.proto.Upstream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The managed settings (Goal.settings, written by the agent's recovery/settings writer; values unquoted) each side
 * needs so a logical slot survives a failover of its publisher.
 */
public final class SlotSettings {
  private SlotSettings() {}

  /** PG 11-16 standby holding a copied slot: feedback keeps the primary from vacuuming catalog rows the copy needs. */
  public static Map<String, String> copiedSlotStandby() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("hot_standby_feedback", "on");
    s.put("wal_level", "logical"); // a logical slot in pg_replslot/ refuses to load below it
    return s;
  }

  /** PG 17 standby that syncs failover slots; its Upstream also needs {@link #failoverUpstream}. */
  public static Map<String, String> failoverStandby(int major) {
    requireFailoverSlots(major);
    Map<String, String> s = copiedSlotStandby();
    s.put("sync_replication_slots", "on");
    return s;
  }

  /**
   * PG 17 primary: logical walsenders (and the primary's shutdown) wait until these standbys' physical slots have
   * received the WAL, so a subscriber is never ahead of the standby that will take over.
   */
  public static Map<String, String> failoverPrimary(int major, List<String> standbyPhysicalSlots) {
    requireFailoverSlots(major);
    if (standbyPhysicalSlots.isEmpty()) {
      throw new IllegalArgumentException("synchronized_standby_slots: name at least one standby's physical slot");
    }
    return Map.of("synchronized_standby_slots", String.join(",", standbyPhysicalSlots));
  }

  /** The slot sync worker needs the standby's physical slot and a dbname in primary_conninfo. */
  public static Upstream failoverUpstream(Upstream upstream, String physicalSlot, String dbname) {
    return upstream.toBuilder().setSlotName(physicalSlot).setDbname(dbname).build();
  }

  private static void requireFailoverSlots(int major) {
    if (major < 17) {
      throw new IllegalArgumentException("failover slots need PostgreSQL 17 (have " + major
          + "); on 11-16 use a copied slot (SlotKeeper)");
    }
  }
}
