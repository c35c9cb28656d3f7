package io.pgferry.controller.failover;

import io.pgferry.common.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * After the standby B was promoted: can T's subscription continue from B's slot with no gap and no duplicate?
 * The walsender on B starts at max(T's origin remote_lsn, the slot's confirmed_flush_lsn), so it is safe when
 * <pre>  slot confirmed_flush_lsn <= T's remote_lsn <= B's promotion point (end of the WAL it replayed)</pre>
 * and the slot itself was proven usable (catalog_xmin chain for a copy, synced for a PG 17 failover slot). If
 * the slot is ahead of T, changes in between would be skipped; if T is past the promotion point, T applied commits
 * B never had (lost with the old primary) and has diverged. When unsafe, every subscribed table is at risk (what a
 * lost range touched is unknown); tables still in initial sync are always at risk (their sync slots were on the old
 * primary). Re-syncing them is the caller's.
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
    Lsn remote = remoteLsn(t, subscription);
    Lsn promotion = promotionLsn(b);
    Lsn confirmed = slotConfirmedFlush(b, slot);
    List<String> syncing = tables(t, subscription, true);
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
          + (syncing.isEmpty() ? "" : "; tables still in initial sync must be re-synced");
      return new Result(syncing.isEmpty(), reason, remote, promotion, confirmed, syncing);
    }
    return new Result(false, problem, remote, promotion, confirmed, tables(t, subscription, false));
  }

  static Lsn remoteLsn(Connection t, String subscription) throws SQLException {
    try (PreparedStatement ps = t.prepareStatement("select remote_lsn::text from pg_replication_origin_status "
        + "where external_id = (select 'pg_' || oid from pg_subscription where subname = ?)")) {
      ps.setString(1, subscription);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null ? Lsn.parse(rs.getString(1)) : Lsn.INVALID;
      }
    }
  }

  /** Where the newest timeline began: the switch point on the last line of its .history file (INVALID if none). */
  public static Lsn promotionLsn(Connection b) throws SQLException {
    try (Statement st = b.createStatement();
         ResultSet rs = st.executeQuery("select pg_read_file('pg_wal/' || name) from pg_ls_waldir() "
             + "where name ~ '^[0-9A-F]{8}\\.history$' order by name desc limit 1")) {
      if (!rs.next()) {
        return Lsn.INVALID;
      }
      String last = null;
      for (String line : rs.getString(1).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          last = line;
        }
      }
      return last == null ? Lsn.INVALID : Lsn.parse(last.trim().split("\\s+")[1]);
    }
  }

  static Lsn slotConfirmedFlush(Connection b, String slot) throws SQLException {
    try (PreparedStatement ps = b.prepareStatement(
        "select confirmed_flush_lsn::text from pg_replication_slots where slot_name = ? and slot_type = 'logical'")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null ? Lsn.parse(rs.getString(1)) : Lsn.INVALID;
      }
    }
  }

  /** Subscribed tables (onlySyncing: those not yet ready), as schema-qualified names. */
  static List<String> tables(Connection t, String subscription, boolean onlySyncing) throws SQLException {
    try (PreparedStatement ps = t.prepareStatement("select r.srrelid::regclass::text from pg_subscription_rel r "
        + "join pg_subscription s on s.oid = r.srsubid where s.subname = ?"
        + (onlySyncing ? " and r.srsubstate <> 'r'" : "") + " order by 1")) {
      ps.setString(1, subscription);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }
}
