package io.pgferry.controller.sql;

import io.pgferry.common.Deadline;
import io.pgferry.common.Lsn;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.SqlQuote;
import io.pgferry.controller.sql.SessionTerminator.Session;
import io.pgferry.controller.sql.WritesStopped.Sample;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Stops writes at the database itself, without superuser (Heroku grants none), so that writers the app switch
 * does not reach (worker, scheduler and one-off dynos; preboot dynos on the old DATABASE_URL) cannot commit.
 * Connected as the database owner (on Heroku: the app's own role):
 * <ol>
 *   <li>{@code ALTER DATABASE <db> SET default_transaction_read_only = on} and/or
 *       {@code ALTER ROLE <role> SET default_transaction_read_only = on} (only where not set already): every new
 *       session of those starts read-only;</li>
 *   <li>{@code pg_terminate_backend} on the other client sessions of those roles (and, database-wide, of that
 *       database) - existing sessions keep their old defaults, so they must go ({@link SessionTerminator});</li>
 *   <li>confirms writes stopped ({@link WritesStopped}) and reports the WAL position at that moment.</li>
 * </ol>
 * Idempotent: run again, it sets nothing new, ends sessions opened since, and re-checks. {@link #lift()} undoes it
 * (RESET) and by default ends the roles' sessions opened while fenced, since those stay read-only for life.
 *
 * <p>The writes-stopped check samples every {@code quietInterval} until the rule holds or {@code quietTimeout}
 * passes, then fails naming the sessions still holding an xid.
 * A session can still opt out with SET default_transaction_read_only = off / BEGIN READ WRITE: the fence stops
 * applications that do not fight it, which is what a cutover needs.
 */
public final class DatabaseFence {
  private static final Logger LOG = Logger.getLogger(DatabaseFence.class.getName());
  private static final String SETTING = "default_transaction_read_only";
  /**
   * The cutovers' sampling interval: the rule holds on any two samples (no xid held, and the WAL or the next xid
   * unchanged between them), so a shorter interval confirms as surely and sooner; writes are blocked meanwhile, and
   * the second sample is the earliest moment the fence can be done. 250 ms (cutover 1 sampled every 1 s, cutover 2
   * every 500 ms: 0.75 s and 0.25 s of every write gap).
   */
  public static final Duration CUTOVER_QUIET_INTERVAL = Duration.ofMillis(250);

  /** Opens a connection as the database owner (or the app role) to the database to fence. */
  @FunctionalInterface
  public interface ConnectionSource {
    Connection open() throws SQLException;
  }

  /**
   * @param roles roles whose sessions are made read-only and ended (the app's role(s))
   * @param databaseWide also ALTER DATABASE ... SET, and end every other client session in this database
   * @param sparedApplicationPrefixes sessions whose application_name starts with one of these are not ended
   */
  public record Options(List<String> roles, boolean databaseWide, Duration quietInterval, Duration quietTimeout,
      boolean terminateOnLift, List<String> sparedApplicationPrefixes) {
    public Options {
      roles = List.copyOf(Objects.requireNonNull(roles, "roles"));
      if (roles.isEmpty() && !databaseWide) {
        throw new IllegalArgumentException("fence: name at least one role, or fence database-wide");
      }
      quietInterval = quietInterval == null ? Duration.ofSeconds(1) : quietInterval;
      quietTimeout = quietTimeout == null ? Duration.ofSeconds(30) : quietTimeout;
      sparedApplicationPrefixes = sparedApplicationPrefixes == null ? List.of("pgferry") : List.copyOf(sparedApplicationPrefixes);
    }

    public static Options of(String... roles) {
      return new Options(List.of(roles), true, null, null, true, null);
    }

    public Options quiet(Duration interval, Duration timeout) {
      return new Options(roles, databaseWide, interval, timeout, terminateOnLift, sparedApplicationPrefixes);
    }
  }

  /** What one fence or lift did. */
  public record Report(String database, List<String> statements, List<String> alreadyDone, List<Session> terminated,
      List<Session> notTerminated, Lsn quietLsn, int samples, Duration elapsed) {
    public String summary() {
      return "database " + database + ": ran " + (statements.isEmpty() ? "nothing" : String.join("; ", statements))
          + (alreadyDone.isEmpty() ? "" : " (already in place: " + String.join("; ", alreadyDone) + ")")
          + ", ended " + terminated.size() + " session(s)" + (notTerminated.isEmpty() ? "" : ", could not end " + notTerminated)
          + (quietLsn == null ? "" : ", writes stopped at WAL " + quietLsn + " after " + samples + " sample(s)")
          + String.format(" in %.2f s", elapsed.toNanos() / 1e9);
    }
  }

  private final ConnectionSource source;
  private final Options options;
  private final SessionTerminator terminator;

  public DatabaseFence(ConnectionSource source, Options options) {
    this.source = source;
    this.options = options;
    this.terminator = new SessionTerminator(options.roles(), options.databaseWide(), options.sparedApplicationPrefixes());
  }

  /** Makes the database read-only for the app, ends its sessions, and waits until writes have stopped. */
  public Report fence() throws FenceException, InterruptedException {
    long start = System.nanoTime();
    try (Connection c = openReadWrite()) {
      String db = currentDatabase(c);
      List<String> ran = new ArrayList<>();
      List<String> already = new ArrayList<>();
      if (options.databaseWide()) {
        apply(c, "ALTER DATABASE " + ident(db) + " SET " + SETTING + " = on", isSet(c, null), ran, already);
      }
      for (String role : options.roles()) {
        requireRole(c, role);
        apply(c, "ALTER ROLE " + ident(role) + " SET " + SETTING + " = on", isSet(c, role), ran, already);
      }
      SessionTerminator.Outcome ended = terminator.endOthers(c);
      List<Session> terminated = ended.terminated();
      List<Session> failed = ended.failed();
      if (!failed.isEmpty()) {
        throw new FenceException("fence " + db + ": could not end " + failed.size() + " session(s) " + failed
            + "; they keep their read-write default. End them (as their role or a member of pg_signal_backend) and run the fence"
            + " again, or lift() to undo");
      }
      Quiet quiet = awaitQuiet(c, db);
      Report report = new Report(db, ran, already, terminated, failed, quiet.lsn, quiet.samples, Duration.ofNanos(System.nanoTime() - start));
      LOG.info("fence: " + report.summary());
      return report;
    } catch (SQLException e) {
      throw new FenceException("fence failed: " + explain(e) + "; run lift() to undo what was set", e);
    }
  }

  /** Undoes the fence (RESET) and, by default, ends the roles' sessions opened while fenced (they stay read-only). */
  public Report lift() throws FenceException, InterruptedException {
    long start = System.nanoTime();
    try (Connection c = openReadWrite()) {
      // pgferry's own catalog change must not wait for a synchronous standby that is still switching timelines
      try (Statement st = c.createStatement()) {
        st.execute("SET synchronous_commit = local");
      }
      String db = currentDatabase(c);
      List<String> ran = new ArrayList<>();
      List<String> already = new ArrayList<>();
      if (options.databaseWide()) {
        apply(c, "ALTER DATABASE " + ident(db) + " RESET " + SETTING, !isSet(c, null), ran, already);
      }
      for (String role : options.roles()) {
        requireRole(c, role);
        apply(c, "ALTER ROLE " + ident(role) + " RESET " + SETTING, !isSet(c, role), ran, already);
      }
      SessionTerminator.Outcome ended = options.terminateOnLift()
          ? terminator.endOthers(c) : new SessionTerminator.Outcome(List.of(), List.of());
      List<Session> terminated = ended.terminated();
      List<Session> failed = ended.failed();
      Report report = new Report(db, ran, already, terminated, failed, null, 0, Duration.ofNanos(System.nanoTime() - start));
      LOG.info("fence lifted: " + report.summary());
      return report;
    } catch (SQLException e) {
      throw new FenceException("lifting the fence failed: " + explain(e), e);
    }
  }

  /** Is any part of the fence in place (for status and resume)? */
  public boolean isFenced() throws FenceException {
    try (Connection c = openReadWrite()) {
      if (options.databaseWide() && isSet(c, null)) {
        return true;
      }
      for (String role : options.roles()) {
        if (isSet(c, role)) {
          return true;
        }
      }
      return false;
    } catch (SQLException e) {
      throw new FenceException("reading the fence state failed: " + explain(e), e);
    }
  }

  /** The statements fence() would run, for `pgferry plan`. */
  public List<String> describe(String database) {
    List<String> lines = new ArrayList<>();
    if (options.databaseWide()) {
      lines.add("ALTER DATABASE " + ident(database) + " SET " + SETTING + " = on");
    }
    options.roles().forEach(r -> lines.add("ALTER ROLE " + ident(r) + " SET " + SETTING + " = on"));
    lines.add("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        + " AND (usename IN (" + String.join(", ", options.roles()) + ")" + (options.databaseWide() ? " OR datname = " + database : "")
        + ") -- except application_name " + options.sparedApplicationPrefixes() + "*");
    lines.add("confirm: every " + options.quietInterval().toMillis() + " ms sample pg_current_wal_lsn(), next xid, xids held, prepared xacts"
        + " until no xid is held and (WAL still or no xid assigned); give up after " + options.quietTimeout().toSeconds() + " s");
    return lines;
  }

  private Connection openReadWrite() throws SQLException {
    Connection c = source.open();
    try (Statement st = c.createStatement()) {
      c.setAutoCommit(true);
      // our own role may be the fenced one (on Heroku the owner is the app's role)
      st.execute("SET default_transaction_read_only = off");
      st.execute("SET application_name = 'pgferry-fence'");
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  private static void apply(Connection c, String sql, boolean done, List<String> ran, List<String> already) throws SQLException {
    if (done) {
      already.add(sql);
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
    ran.add(sql);
  }

  /** Is default_transaction_read_only=on stored for the current database (role null) or for the role (all databases)? */
  private static boolean isSet(Connection c, String role) throws SQLException {
    String sql = role == null
        ? "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
        : "SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = 0 AND setrole = (SELECT oid FROM pg_roles WHERE rolname = ?)";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (role != null) {
        ps.setString(1, role);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          for (String kv : (String[]) rs.getArray(1).getArray()) {
            if (kv.equalsIgnoreCase(SETTING + "=on") || kv.equalsIgnoreCase(SETTING + "=true")) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  private static void requireRole(Connection c, String role) throws SQLException, FenceException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
      ps.setString(1, role);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new FenceException("fence: role " + role + " does not exist; name the role the app connects as");
        }
      }
    }
  }

  private record Quiet(Lsn lsn, int samples) {}

  private Quiet awaitQuiet(Connection c, String db) throws SQLException, FenceException, InterruptedException {
    int version = c.getMetaData().getDatabaseMajorVersion();
    Samples samples = new Samples();
    try {
      return Poll.until(Deadline.in(options.quietTimeout()), options.quietInterval(), "writes to stop on " + db, () -> {
        samples.add(sample(c, version));
        return samples.quiet();
      });
    } catch (Poll.Timeout e) {
      throw new FenceException("fence " + db + ": writes did not stop within " + options.quietTimeout().toSeconds() + " s: "
          + WritesStopped.activity(samples.previous == null ? samples.now : samples.previous, samples.now)
          + "; a role outside the fence (or one that overrides default_transaction_read_only) is writing. The fence stays in place:"
          + " lift() to undo");
    }
  }

  /** The last two samples, {@code quietInterval} apart. */
  private static final class Samples {
    Sample previous;
    Sample now;
    int count;

    void add(Sample s) {
      previous = now;
      now = s;
      count++;
    }

    Optional<Quiet> quiet() {
      return previous != null && WritesStopped.between(previous, now) ? Optional.of(new Quiet(now.lsn(), count)) : Optional.empty();
    }
  }

  private static Sample sample(Connection c, int version) throws SQLException {
    String xmax = version >= 13 ? "pg_snapshot_xmax(pg_current_snapshot())::text::bigint" : "txid_snapshot_xmax(txid_current_snapshot())";
    Lsn lsn;
    long nextXid;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text, " + xmax)) {
      rs.next();
      lsn = Lsn.parse(rs.getString(1));
      nextXid = rs.getLong(2);
    }
    List<String> holders = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pid, coalesce(usename, backend_type), backend_xid::text"
        + " FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()")) {
      while (rs.next()) {
        holders.add("pid " + rs.getInt(1) + " (" + rs.getString(2) + ", xid " + rs.getString(3) + ")");
      }
    }
    int prepared;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_prepared_xacts")) {
      rs.next();
      prepared = rs.getInt(1);
    }
    return new Sample(lsn, nextXid, holders, prepared);
  }

  private static String currentDatabase(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_database()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String explain(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (state.equals("42501")) {
      return e.getMessage() + " (permission: connect as the database owner; ALTER ROLE needs that role itself or CREATEROLE)";
    }
    return e.getMessage();
  }

  static String ident(String name) {
    return SqlQuote.ident(name);
  }
}
