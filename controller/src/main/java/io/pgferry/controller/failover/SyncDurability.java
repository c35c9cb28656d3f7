package io.pgferry.controller.failover;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.SqlQuote;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * durability: sync - the primary A waits for the standby B to confirm every commit, so no acknowledged commit is
 * lost on failover; and the drop to async (empty synchronous_standby_names) when B is lost, so A does not hang.
 * Set with ALTER SYSTEM + pg_reload_conf(): a new session still gets in while other sessions wait on B, and
 * releasing synchronous_standby_names wakes every waiting commit. Each call checks the setting first.
 */
public final class SyncDurability {
  private SyncDurability() {}

  public enum Mode { SYNC, ASYNC }

  /** Opens a new connection to A (superuser: ALTER SYSTEM). */
  @FunctionalInterface
  public interface Opener {
    Connection open() throws SQLException;
  }

  /** The value of synchronous_standby_names naming exactly this standby. */
  public static String standbyNames(String applicationName) {
    return SqlQuote.ident(applicationName);
  }

  /** Makes B (by its application_name) the synchronous standby of A. Returns true when it changed anything. */
  public static boolean makeSync(Opener a, String applicationName, Duration timeout) throws SQLException {
    String names = standbyNames(applicationName);
    try (Connection c = a.open()) {
      boolean changed = set(c, "synchronous_commit", "on");
      changed |= set(c, "synchronous_standby_names", names);
      if (changed) {
        reload(c);
      }
      awaitSetting(a, "synchronous_standby_names", names, timeout);
      return changed;
    }
  }

  /** Empties synchronous_standby_names: commits waiting for B return, new ones do not wait. */
  public static boolean dropToAsync(Opener a, Duration timeout) throws SQLException {
    try (Connection c = a.open()) {
      boolean changed = set(c, "synchronous_standby_names", "");
      if (changed) {
        reload(c);
      }
      awaitSetting(a, "synchronous_standby_names", "", timeout);
      return changed;
    }
  }

  public static Mode mode(Connection a) throws SQLException {
    return show(a, "synchronous_standby_names").isEmpty() ? Mode.ASYNC : Mode.SYNC;
  }

  private static boolean set(Connection c, String name, String value) throws SQLException {
    if (value.equals(show(c, name))) {
      return false;
    }
    try (Statement st = c.createStatement()) {
      st.execute("ALTER SYSTEM SET " + name + " = " + SqlQuote.literal(value));
    }
    return true;
  }

  private static void reload(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("select pg_reload_conf()");
    }
  }

  private static String show(Connection c, String name) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select current_setting(" + SqlQuote.literal(name) + ")")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The reload is asynchronous: wait until a new session sees the value. */
  private static void awaitSetting(Opener a, String name, String value, Duration timeout) throws SQLException {
    try {
      Poll.untilTrue(Deadline.in(timeout), Duration.ofMillis(50), name + " to become '" + value + "'", () -> {
        try (Connection c = a.open()) {
          return value.equals(show(c, name));
        }
      });
    } catch (Poll.Timeout e) {
      throw new IllegalStateException(name + " did not become '" + value + "' within " + timeout.toMillis() + " ms after reload");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + name, e);
    }
  }
}
