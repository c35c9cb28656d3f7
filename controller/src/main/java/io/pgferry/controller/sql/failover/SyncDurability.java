package io.pgferry.controller.sql.failover;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.SqlQuote;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * durability: sync - the primary A waits for the standby B to confirm every commit, so no acknowledged commit is
 * lost on failover; and the drop to async (empty synchronous_standby_names) when B is lost, so A does not hang.
 * Set with ALTER SYSTEM + pg_reload_conf(): a new session still gets in while other sessions wait on B, and
 * releasing synchronous_standby_names wakes every waiting commit. Each setting is checked first. When to do which is
 * decided elsewhere (the controller loop's {@code FailureDetector}, the standby's {@code SyncWatch}).
 */
public final class SyncDurability implements SqlAction<Boolean> {
  private static final String NAMES = "synchronous_standby_names";

  public enum Mode { SYNC, ASYNC }

  /** Opens a new connection to A (superuser: ALTER SYSTEM). */
  @FunctionalInterface
  public interface Opener {
    Connection open() throws SQLException;
  }

  private final Opener a;
  private final Map<String, String> settings;
  private final Duration timeout;

  private SyncDurability(Opener a, Map<String, String> settings, Duration timeout) {
    this.a = a;
    this.settings = settings;
    this.timeout = timeout;
  }

  /** Makes B (by its application_name) the synchronous standby of A. */
  public static SyncDurability sync(Opener a, String applicationName, Duration timeout) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("synchronous_commit", "on");
    settings.put(NAMES, standbyNames(applicationName));
    return new SyncDurability(a, settings, timeout);
  }

  /** Empties synchronous_standby_names: commits waiting for B return, new ones do not wait. */
  public static SyncDurability async(Opener a, Duration timeout) {
    return new SyncDurability(a, Map.of(NAMES, ""), timeout);
  }

  /** The value of synchronous_standby_names naming exactly this standby. */
  public static String standbyNames(String applicationName) {
    return SqlQuote.ident(applicationName);
  }

  public static Mode mode(Connection a) throws SQLException {
    return show(a, NAMES).isEmpty() ? Mode.ASYNC : Mode.SYNC;
  }

  @Override
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    settings.forEach((name, value) -> lines.add(alterSystem(name, value) + "  -- unless current_setting('" + name + "') is that"));
    lines.add("SELECT pg_reload_conf()  -- when a setting changed; then until a new session shows " + NAMES + " = "
        + SqlQuote.literal(settings.get(NAMES)) + " (at most " + timeout.toMillis() + " ms)");
    return lines;
  }

  /** True when it changed a setting. */
  @Override
  public Boolean run() throws SQLException {
    try (Connection c = a.open()) {
      boolean changed = false;
      for (Map.Entry<String, String> s : settings.entrySet()) {
        if (!s.getValue().equals(show(c, s.getKey()))) {
          Sql.execute(c, alterSystem(s.getKey(), s.getValue()));
          changed = true;
        }
      }
      if (changed) {
        Sql.execute(c, "select pg_reload_conf()");
      }
      awaitSetting(NAMES, settings.get(NAMES));
      return changed;
    }
  }

  private static String alterSystem(String name, String value) {
    return "ALTER SYSTEM SET " + name + " = " + SqlQuote.literal(value);
  }

  private static String show(Connection c, String name) throws SQLException {
    return Sql.value(c, "select current_setting(" + SqlQuote.literal(name) + ")");
  }

  /** The reload is asynchronous: wait until a new session sees the value. */
  private void awaitSetting(String name, String value) throws SQLException {
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
