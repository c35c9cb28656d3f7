package io.pgferry.controller.sql;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Ends the other client sessions of some roles (and, database-wide, of the current database) with
 * {@code pg_terminate_backend}, without superuser. Sessions whose application_name starts with a spared prefix
 * (pgferry's own) and walsenders are left alone. Waits up to 5 s for the ended backends to be gone.
 */
public final class SessionTerminator {
  private static final Duration GONE_WAIT = Duration.ofSeconds(5);

  /** A session that was ended (or could not be, with why). */
  public record Session(int pid, String user, String applicationName, String state, String problem) {}

  record Outcome(List<Session> terminated, List<Session> failed) {}

  private final List<String> roles;
  private final boolean databaseWide;
  private final List<String> sparedApplicationPrefixes;

  SessionTerminator(List<String> roles, boolean databaseWide, List<String> sparedApplicationPrefixes) {
    this.roles = roles;
    this.databaseWide = databaseWide;
    this.sparedApplicationPrefixes = sparedApplicationPrefixes;
  }

  Outcome endOthers(Connection c) throws SQLException, InterruptedException {
    int version = c.getMetaData().getDatabaseMajorVersion();
    List<Session> terminated = new ArrayList<>();
    List<Session> failed = new ArrayList<>();
    // PG 14+: wait up to 5 s for each backend to be gone; older ones are polled below
    String terminate = version >= 14 ? "SELECT pg_terminate_backend(?, 5000)" : "SELECT pg_terminate_backend(?)";
    for (Session s : targets(c)) {
      try (PreparedStatement ps = c.prepareStatement(terminate)) {
        ps.setInt(1, s.pid());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1) || !alive(c, s.pid())) {
            terminated.add(s);
          } else {
            failed.add(new Session(s.pid(), s.user(), s.applicationName(), s.state(), "still running after the terminate signal"));
          }
        }
      } catch (SQLException e) {
        failed.add(new Session(s.pid(), s.user(), s.applicationName(), s.state(), e.getMessage()));
      }
    }
    if (version < 14) {
      awaitGone(c, terminated);
    }
    return new Outcome(terminated, failed);
  }

  private List<Session> targets(Connection c) throws SQLException {
    List<Session> targets = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT pid, usename, coalesce(application_name, ''), coalesce(state, '')"
        + " FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        + " AND (usename = ANY (?) OR (? AND datname = current_database()))")) {
      ps.setArray(1, c.createArrayOf("text", roles.toArray()));
      ps.setBoolean(2, databaseWide);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String app = rs.getString(3);
          if (sparedApplicationPrefixes.stream().noneMatch(p -> !p.isEmpty() && app.startsWith(p))) {
            targets.add(new Session(rs.getInt(1), rs.getString(2), app, rs.getString(4), null));
          }
        }
      }
    }
    return targets;
  }

  /** Best effort: a backend still exiting after 5 s is left to finish on its own. */
  private static void awaitGone(Connection c, List<Session> terminated) throws SQLException, InterruptedException {
    Deadline deadline = Deadline.in(GONE_WAIT);
    try {
      for (Session s : terminated) {
        Poll.untilTrue(deadline, Duration.ofMillis(20), "pid " + s.pid() + " to exit", () -> !alive(c, s.pid()));
      }
    } catch (Poll.Timeout e) {
      // the terminate signal was delivered; the fence's quiet check catches a backend that still writes
    }
  }

  private static boolean alive(Connection c, int pid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_stat_activity WHERE pid = ?")) {
      ps.setInt(1, pid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
