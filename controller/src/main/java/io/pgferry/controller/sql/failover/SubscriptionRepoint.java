package io.pgferry.controller.sql.failover;

import io.pgferry.common.pg.SqlQuote;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Moves a subscription on the target T to a new publisher (the promoted standby): DISABLE, CONNECTION, ENABLE.
 * Disabling first keeps a revived old primary from feeding T. Each statement is skipped when already in effect, so
 * the procedure can be re-run after a crash. The slot keeps its name on the new publisher (copied or synced).
 */
public final class SubscriptionRepoint {
  private SubscriptionRepoint() {}

  /** ALTER SUBSCRIPTION ... DISABLE unless already disabled. Returns true when it acted. */
  public static boolean disable(Connection t, String subscription) throws SQLException {
    if (!enabled(t, subscription)) {
      return false;
    }
    exec(t, "ALTER SUBSCRIPTION " + SqlQuote.ident(subscription) + " DISABLE");
    return true;
  }

  /** DISABLE, CONNECTION '<conninfo>' (if different), ENABLE. Returns true when the connection changed. */
  public static boolean repoint(Connection t, String subscription, String conninfo) throws SQLException {
    disable(t, subscription);
    boolean changed = !conninfo.equals(conninfo(t, subscription));
    if (changed) {
      exec(t, "ALTER SUBSCRIPTION " + SqlQuote.ident(subscription) + " CONNECTION " + SqlQuote.literal(conninfo));
    }
    if (!enabled(t, subscription)) {
      exec(t, "ALTER SUBSCRIPTION " + SqlQuote.ident(subscription) + " ENABLE");
    }
    return changed;
  }

  public static List<String> describeDisable(String subscription) {
    return List.of("target: ALTER SUBSCRIPTION " + SqlQuote.ident(subscription) + " DISABLE  (unless disabled, or no such subscription yet)");
  }

  public static List<String> describeRepoint(String subscription, String publisher) {
    return List.of("target: ALTER SUBSCRIPTION " + SqlQuote.ident(subscription) + " DISABLE; ALTER SUBSCRIPTION " + SqlQuote.ident(subscription)
        + " CONNECTION 'host=<" + publisher + "> port=<port of " + publisher + "> <the rest of its conninfo>'; ALTER SUBSCRIPTION "
        + SqlQuote.ident(subscription) + " ENABLE  (each unless in effect)");
  }

  public static boolean exists(Connection t, String subscription) throws SQLException {
    try (PreparedStatement ps = t.prepareStatement("select 1 from pg_subscription where subname = ?")) {
      ps.setString(1, subscription);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** T's conninfo with host and port replaced by the new publisher's (user, password, dbname kept as the operator wrote them). */
  public static String publisherConninfo(Connection t, String subscription, String host, int port) throws SQLException {
    String old = conninfo(t, subscription);
    String rest = old.replaceAll("(^|\\s)(host|hostaddr|port)=\\S+", " ").trim().replaceAll("\\s+", " ");
    return ("host=" + host + " port=" + port + " " + rest).trim();
  }

  public static boolean enabled(Connection t, String subscription) throws SQLException {
    return row(t, "select subenabled::text from pg_subscription where subname = ?", subscription).equals("true");
  }

  public static String conninfo(Connection t, String subscription) throws SQLException {
    return row(t, "select subconninfo from pg_subscription where subname = ?", subscription);
  }

  private static String row(Connection t, String sql, String subscription) throws SQLException {
    try (PreparedStatement ps = t.prepareStatement(sql)) {
      ps.setString(1, subscription);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("no subscription " + subscription + " on the target");
        }
        return rs.getString(1);
      }
    }
  }

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }


}
