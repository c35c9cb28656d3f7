package io.pgferry.agent.slots;

import io.pgferry.common.Lsn;

/**
 * What the keeper of a copied (PG 11-16) or synced (PG 17) logical slot knows, with the evidence behind its verdict.
 * {@code synced} maps to proto Slot.synced: the slot can serve the subscription after this standby is promoted.
 *
 * @param primaryCatalogXmin  catalog_xmin of the slot on the primary (null: none / unknown)
 * @param physicalCatalogXmin catalog_xmin of this standby's physical slot on the primary
 * @param copyCatalogXmin     catalog_xmin of the local copy
 * @param copies              times the slot was copied (each costs one restart of the standby)
 */
public record SlotCopyStatus(
    String slot,
    boolean synced,
    String reason,
    Long primaryCatalogXmin,
    Long physicalCatalogXmin,
    Long copyCatalogXmin,
    Lsn primaryConfirmedFlushLsn,
    Lsn copyConfirmedFlushLsn,
    Lsn replayLsn,
    int copies,
    String lastError) {

  public static SlotCopyStatus none(String slot) {
    return new SlotCopyStatus(slot, false, "not checked yet", null, null, null, Lsn.INVALID, Lsn.INVALID, Lsn.INVALID, 0, "");
  }

  @Override
  public String toString() {
    return slot + ": " + (synced ? "safe" : "unsafe") + " (" + reason + "); primary confirmed_flush " + primaryConfirmedFlushLsn
        + ", copy confirmed_flush " + copyConfirmedFlushLsn + ", replay " + replayLsn + ", copies " + copies
        + (lastError.isEmpty() ? "" : ", last error: " + lastError);
  }
}
