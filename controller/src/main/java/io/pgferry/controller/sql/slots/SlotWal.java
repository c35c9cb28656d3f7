package io.pgferry.controller.sql.slots;

import io.pgferry.controller.sql.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The WAL the replication slots of a primary retain, and whether PostgreSQL gave one up: from PostgreSQL 13 a slot
 * that would retain more than max_slot_wal_keep_size is invalidated (wal_status 'lost'; 'unreserved' just before)
 * and its consumer can never follow again. Read-only.
 */
public final class SlotWal {
  static final String QUERY = "SELECT slot_name, slot_type, %s AS wal_status,"
      + " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint AS retained, %s AS safe_wal_size"
      + " FROM pg_replication_slots ORDER BY slot_name";

  private SlotWal() {}

  /**
   * @param walStatus reserved, extended, unreserved, lost ('' before PostgreSQL 13)
   * @param safeWalBytes WAL that can still be written before the slot is in danger of being lost (empty: no limit)
   */
  public record Slot(String name, String type, String walStatus, long retainedBytes, OptionalLong safeWalBytes) {
    public boolean lost() {
      return "lost".equals(walStatus);
    }

    /** About to be lost: at the next checkpoint PostgreSQL may remove WAL it needs. */
    public boolean unreserved() {
      return "unreserved".equals(walStatus);
    }
  }

  public static String describe() {
    return String.format(QUERY, "wal_status", "safe_wal_size") + "  (PostgreSQL 13 and later; before: no wal_status)";
  }

  public static List<Slot> read(Connection c) throws SQLException {
    boolean has = Sql.serverMajor(c) >= 13;
    String sql = has ? String.format(QUERY, "wal_status", "safe_wal_size") : String.format(QUERY, "''", "NULL::bigint");
    return Sql.rows(c, sql).stream().map(r -> new Slot(r.get("slot_name"), r.get("slot_type"),
        r.get("wal_status") == null ? "" : r.get("wal_status"), Long.parseLong(r.get("retained")),
        r.get("safe_wal_size") == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(r.get("safe_wal_size")))))
        .toList();
  }

  public static Optional<Slot> find(List<Slot> slots, String name) {
    return slots.stream().filter(s -> s.name().equals(name)).findFirst();
  }
}
