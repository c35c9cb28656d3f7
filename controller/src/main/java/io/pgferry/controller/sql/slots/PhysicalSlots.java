package io.pgferry.controller.sql.slots;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Physical replication slots for standbys, on the node they stream from; each operation checks first. */
public final class PhysicalSlots {
  /** What {@link #create} or {@link #renew} found and did. */
  public enum Outcome {
    CREATED, EXISTED, RENEWED, KEPT
  }

  private PhysicalSlots() {}

  /** What {@link #create} runs, for `pgferry plan`. */
  public static String describeCreate(String where, String name) {
    return "on " + where + ": SELECT pg_create_physical_replication_slot('" + name + "', true)  (unless it exists)";
  }

  /** Creates {@code name} (reserving WAL from now) unless a slot of that name exists. */
  public static Outcome create(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select pg_create_physical_replication_slot(?, true) where not exists"
        + " (select 1 from pg_replication_slots where slot_name = ?)")) {
      ps.setString(1, name);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Outcome.CREATED : Outcome.EXISTED;
      }
    }
  }

  /**
   * A fresh slot for a node that is being (re)built: an inactive slot of that name (left by a lost node, its
   * restart_lsn and xmin from the past) is dropped and created again; a slot some walsender uses is kept.
   */
  public static Outcome renew(Connection c, String name) throws SQLException {
    boolean dropped;
    try (PreparedStatement ps = c.prepareStatement("select pg_drop_replication_slot(slot_name) from pg_replication_slots"
        + " where slot_name = ? and slot_type = 'physical' and not active")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        dropped = rs.next();
      }
    }
    Outcome created = create(c, name);
    if (created == Outcome.EXISTED) {
      return Outcome.KEPT; // active (or not a physical slot): not ours to drop
    }
    return dropped ? Outcome.RENEWED : Outcome.CREATED;
  }
}
