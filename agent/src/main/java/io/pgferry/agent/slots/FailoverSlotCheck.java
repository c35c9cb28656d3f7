package io.pgferry.agent.slots;

import io.pgferry.common.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * PG 17: whether the standby holds a usable synced copy of a failover slot. After a promotion only slots with
 * synced AND NOT temporary AND invalidation_reason IS NULL can be used (a synced slot stays temporary until the
 * standby has what it needs to decode from it).
 */
public final class FailoverSlotCheck {
  private FailoverSlotCheck() {}

  /** Reads the slot on the standby {@code b} (any database). */
  public static SlotCopyStatus check(Connection b, String slot) throws SQLException {
    try (PreparedStatement ps = b.prepareStatement("select synced, temporary, invalidation_reason, failover, "
        + "catalog_xmin::text, confirmed_flush_lsn::text, pg_last_wal_replay_lsn()::text "
        + "from pg_replication_slots where slot_name = ? and slot_type = 'logical'")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new SlotCopyStatus(slot, false, "no slot " + slot + " on the standby yet (is sync_replication_slots on,"
              + " and the slot created with failover = true?)", null, null, null, Lsn.INVALID, Lsn.INVALID, Lsn.INVALID, 0, "");
        }
        boolean synced = rs.getBoolean(1);
        boolean temporary = rs.getBoolean(2);
        String invalidation = rs.getString(3);
        String reason;
        if (!synced) {
          reason = "slot " + slot + " exists on the standby but was not synced from the primary (failover = "
              + rs.getBoolean(4) + "); drop it so the sync worker can create its own";
        } else if (invalidation != null) {
          reason = "synced slot invalidated: " + invalidation;
        } else if (temporary) {
          reason = "synced slot still temporary: the standby lacks WAL or catalog rows it needs (see its log)";
        } else {
          reason = "synced, persistent and valid";
        }
        boolean usable = synced && !temporary && invalidation == null;
        return new SlotCopyStatus(slot, usable, reason, null, null, xid(rs.getString(5)), Lsn.INVALID,
            lsn(rs.getString(6)), lsn(rs.getString(7)), 0, "");
      }
    }
  }

  private static Lsn lsn(String t) {
    return t == null ? Lsn.INVALID : Lsn.parse(t);
  }

  private static Long xid(String t) {
    return t == null ? null : Long.parseLong(t);
  }
}
