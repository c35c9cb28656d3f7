package io.pgferry.controller.sql.failover;

import io.pgferry.common.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What the failover's position rule ({@code failover.PositionCheck}) needs to know after the standby B was promoted,
 * read from the subscriber T and from B. Reads only.
 */
public final class SlotPositions {
  private SlotPositions() {}

  /**
   * @param remoteLsn      T's origin remote_lsn for the subscription (INVALID if none)
   * @param promotionLsn   where B's newest timeline began (INVALID if unknown)
   * @param slotConfirmedFlushLsn the logical slot's confirmed_flush_lsn on B (INVALID if no such slot)
   * @param syncing        subscribed tables not yet ready
   * @param subscribed     every subscribed table
   */
  public record Readings(Lsn remoteLsn, Lsn promotionLsn, Lsn slotConfirmedFlushLsn, List<String> syncing,
                         List<String> subscribed) {}

  /**
   * @param t the subscriber (T), subscription preferably disabled so its origin does not move
   * @param b the promoted standby, connected to the slot's database
   */
  public static Readings read(Connection t, String subscription, Connection b, String slot) throws SQLException {
    return new Readings(remoteLsn(t, subscription), promotionLsn(b), slotConfirmedFlush(b, slot),
        tables(t, subscription, true), tables(t, subscription, false));
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
