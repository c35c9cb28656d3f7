package io.pgferry.controller.failover;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The last resort when a slot position cannot be proven safe: re-copy only the tables at risk. On the new
 * publisher B the tables leave the publication; T's subscription (now pointing at B, enabled) is refreshed so it
 * forgets them, they are truncated on T, they rejoin the publication, and a refresh with copy_data copies them
 * afresh from B. A missing slot is created on B first (its start is the new position). Every other table keeps
 * applying without a re-copy.
 */
public final class TableResync {
  private TableResync() {}

  /** Returns the tables re-synced. */
  public static List<String> resync(Connection t, String subscription, Connection b, String slot, String conninfo,
                                    List<String> tables, boolean slotExists) throws SQLException {
    if (!slotExists) {
      exec(b, "select pg_create_logical_replication_slot(" + SubscriptionRepoint.literal(slot) + ", 'pgoutput')");
    }
    List<String> publications = publications(t, subscription);
    SubscriptionRepoint.repoint(t, subscription, conninfo);
    if (tables.isEmpty()) {
      return tables;
    }
    String list = String.join(", ", tables);
    for (String pub : publications) {
      if (!allTables(b, pub)) {
        exec(b, "ALTER PUBLICATION " + SubscriptionRepoint.ident(pub) + " DROP TABLE " + list);
      }
    }
    exec(t, "ALTER SUBSCRIPTION " + SubscriptionRepoint.ident(subscription) + " REFRESH PUBLICATION WITH (copy_data = false)");
    exec(t, "TRUNCATE " + list);
    for (String pub : publications) {
      if (!allTables(b, pub)) {
        exec(b, "ALTER PUBLICATION " + SubscriptionRepoint.ident(pub) + " ADD TABLE " + list);
      }
    }
    exec(t, "ALTER SUBSCRIPTION " + SubscriptionRepoint.ident(subscription) + " REFRESH PUBLICATION WITH (copy_data = true)");
    return tables;
  }

  private static List<String> publications(Connection t, String subscription) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = t.prepareStatement("select unnest(subpublications) from pg_subscription where subname = ?")) {
      ps.setString(1, subscription);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private static boolean allTables(Connection b, String pub) throws SQLException {
    try (PreparedStatement ps = b.prepareStatement("select puballtables from pg_publication where pubname = ?")) {
      ps.setString(1, pub);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
