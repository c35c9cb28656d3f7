package io.pgferry.controller.sql.slots;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * PG 17: a promoted standby inherited its old primary's synchronized_standby_slots (a base backup copies the
 * configuration); on the new primary those physical slots do not exist and its logical walsenders would wait for
 * them forever. Cleared with ALTER SYSTEM (overrides the managed file) + reload.
 */
public final class SynchronizedStandbySlots {
  private SynchronizedStandbySlots() {}

  public static List<String> describeClear(String where) {
    return List.of(where + " (PostgreSQL 17+, when set): ALTER SYSTEM SET synchronized_standby_slots = ''; SELECT pg_reload_conf()");
  }

  /** Returns true when it acted (17+ and the setting was not empty). */
  public static boolean clear(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("select current_setting('server_version_num')::int >= 170000"
          + " and current_setting('synchronized_standby_slots', true) <> ''")) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return false;
        }
      }
      st.execute("ALTER SYSTEM SET synchronized_standby_slots = ''");
      st.execute("select pg_reload_conf()");
      return true;
    }
  }
}
