package io.pgferry.controller.failover;

import io.pgferry.common.Lsn;
import io.pgferry.controller.sql.failover.SlotPositions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * After the standby B was promoted: can T's subscription continue from B's slot with no gap and no duplicate?
 * The walsender on B starts at max(T's origin remote_lsn, the slot's confirmed_flush_lsn), so it is safe when
 * <pre>  slot confirmed_flush_lsn <= T's remote_lsn <= B's promotion point (end of the WAL it replayed)</pre>
 * and the slot itself was proven usable (catalog_xmin chain for a copy, synced for a PG 17 failover slot). If
 * the slot is ahead of T, changes in between would be skipped; if T is past the promotion point, T applied commits
 * B never had (lost with the old primary) and has diverged. When unsafe, every subscribed table is at risk (what a
 * lost range touched is unknown); tables still in initial sync are always at risk (their sync slots were on the old
 * primary). Re-syncing them is the caller's. The readings come from {@link SlotPositions}; the rule is {@link #decide}.
 */
public final class PositionCheck {
  private PositionCheck() {}

  public record Result(boolean safe, String reason, Lsn remoteLsn, Lsn promotionLsn, Lsn slotConfirmedFlushLsn,
                       List<String> tablesAtRisk) {}

  /**
   * @param t            the subscriber (T), subscription preferably disabled so its origin does not move
   * @param b            the promoted standby, connected to the slot's database
   * @param slotProven   the agent's verdict on the slot (SlotCopyStatus.synced / Slot.synced)
   */
  public static Result check(Connection t, String subscription, Connection b, String slot, boolean slotProven)
      throws SQLException {
    return decide(SlotPositions.read(t, subscription, b, slot), slot, slotProven);
  }

  /** The rule, on positions already read. */
  public static Result decide(SlotPositions.Readings r, String slot, boolean slotProven) {
    Lsn remote = r.remoteLsn();
    Lsn promotion = r.promotionLsn();
    Lsn confirmed = r.slotConfirmedFlushLsn();
    String problem = null;
    if (!confirmed.isValid()) {
      problem = "no logical slot " + slot + " on the new primary";
    } else if (!slotProven) {
      problem = "the slot copy was not proven safe (catalog_xmin chain / sync) before promotion";
    } else if (!remote.isValid()) {
      problem = "the subscription's origin has no remote_lsn on the target";
    } else if (confirmed.compareTo(remote) > 0) {
      problem = "the slot (" + confirmed + ") is ahead of what the target applied (" + remote + "): changes between would be skipped";
    } else if (!promotion.isValid()) {
      problem = "the new primary's promotion point is unknown (no timeline history file)";
    } else if (remote.compareTo(promotion) > 0) {
      problem = "the target applied up to " + remote + ", past the promotion point " + promotion
          + ": it holds commits the new primary never had";
    }
    if (problem == null) {
      String reason = "slot " + confirmed + " <= target " + remote + " <= promotion " + promotion
          + (r.syncing().isEmpty() ? "" : "; tables still in initial sync must be re-synced");
      return new Result(r.syncing().isEmpty(), reason, remote, promotion, confirmed, r.syncing());
    }
    return new Result(false, problem, remote, promotion, confirmed, r.subscribed());
  }
}
