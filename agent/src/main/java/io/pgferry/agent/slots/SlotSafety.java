package io.pgferry.agent.slots;

/**
 * Whether a copied logical slot may be used after a failover: the catalog rows it needs must be kept on the primary
 * (and so replayed on the standby) from the copy on. That holds once the standby's physical slot on the primary
 * carries a catalog_xmin (hot_standby_feedback reports the copy's) that is
 * <ul>
 *   <li>not before the primary slot's catalog_xmin as it was when that feedback first arrived (nothing the copy
 *       might need was vacuumed while only the primary slot protected it), and</li>
 *   <li>not after the copy's own catalog_xmin (the feedback covers the copy).</li>
 * </ul>
 * The first comparison is proven once per copy (Patroni's rule, PR #2285); the second is checked every time.
 * Not thread-safe: one keeper owns it.
 */
final class SlotSafety {
  /** The primary slot's catalog_xmin when the physical slot's first became valid after the copy (null: not yet). */
  private Long remembered;
  private boolean proven;

  void reset() {
    remembered = null;
    proven = false;
  }

  Long remembered() {
    return remembered;
  }

  record Verdict(boolean safe, String reason) {}

  Verdict evaluate(Long primary, Long physical, Long copy) {
    if (copy == null) {
      return new Verdict(false, "the copy holds no catalog_xmin");
    }
    if (physical == null) {
      return new Verdict(false, "the standby's physical slot on the primary holds no catalog_xmin yet"
          + " (hot_standby_feedback off, or the standby not streaming through that slot)");
    }
    if (remembered == null) {
      if (primary == null) {
        return new Verdict(false, "the primary's slot holds no catalog_xmin");
      }
      remembered = primary;
    }
    if (!Xids.atOrBefore(physical, copy)) {
      return new Verdict(false, "catalog_xmin chain broken: physical slot " + physical + " > copy " + copy);
    }
    if (!proven && Xids.atOrBefore(remembered, physical)) {
      proven = true;
    }
    String chain = "primary slot " + remembered + " (when feedback began) <= physical slot " + physical + " <= copy " + copy;
    return proven ? new Verdict(true, "catalog_xmin chain holds: " + chain)
        : new Verdict(false, "catalog_xmin chain not yet proven: need " + chain);
  }
}
