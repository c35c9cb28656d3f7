package io.pgferry.agent.snapshot;

import io.pgferry.agent.access.LocalAccess;
import io.pgferry.common.Daemons;
import io.pgferry.common.pg.Purpose;
import io.pgferry.common.pg.SqlQuote;
import io.pgferry.proto.ExportSnapshot;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HeldSnapshot;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Holds the initial copy's exported snapshot next to the data (Goal.export_snapshot, docs/copy.md): on its own thread
 * it creates the goal's logical slot over a replication connection to the local PostgreSQL (socket, peer, as the
 * bootstrap superuser) with {@code SNAPSHOT 'export'}, keeps that connection open and idle (any command on it would end
 * the snapshot), and reports slot, snapshot name, consistent point and since when in Status.held_snapshot. It lets go
 * (closes the connection; the slot stays) when the goal no longer asks, asks another attempt, or the node is not a
 * settled, running PRIMARY. The link to the controller plays no part: the goal is the one the agent holds.
 *
 * <p>One attempt creates at most once, even across agent restarts (the attempt is written to the state dir before the
 * slot is created): a snapshot lost (PostgreSQL restarted, the agent restarted) is reported as an error for that
 * attempt and never silently replaced by a new one the controller would mistake for the one its copied rows belong to.
 */
public final class SnapshotHolder implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SnapshotHolder.class.getName());
  static final String ATTEMPT_FILE = "export-snapshot.attempt";

  /** What the holder needs from the agent. */
  public record Wiring(int pgMajor, Supplier<Goal> goal, BooleanSupplier settledPrimary, LocalAccess access, Path stateDir) {}

  private record Held(ExportSnapshot asked, Connection replication, int pid, HeldSnapshot report) {}

  private final Wiring w;
  private final Duration every;
  private final ScheduledExecutorService thread = Daemons.singleThread("pgferry-snapshot-holder");
  private volatile HeldSnapshot report;
  private Held held;
  private String triedAttempt;

  public SnapshotHolder(Wiring wiring, Duration every) {
    this.w = wiring;
    this.every = every;
    this.triedAttempt = readTried();
  }

  public SnapshotHolder start() {
    thread.scheduleWithFixedDelay(this::tick, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** What Status.held_snapshot says (null: the goal asks for none). */
  public HeldSnapshot report() {
    return report;
  }

  /** For NodeAgent.addStatusContributor: memory only. */
  public void contributeTo(Status.Builder b) {
    HeldSnapshot r = report;
    if (r != null) {
      b.setHeldSnapshot(r);
    }
  }

  private void tick() {
    try {
      Goal g = w.goal().get();
      ExportSnapshot asked = g != null && g.getState() == NodeState.PRIMARY && g.hasExportSnapshot() ? g.getExportSnapshot() : null;
      if (asked == null) {
        letGo("the goal asks for no exported snapshot");
        report = null;
        return;
      }
      if (held != null && !held.asked().equals(asked)) {
        letGo("the goal asks attempt " + asked.getAttempt() + " now");
      }
      if (!w.settledPrimary().getAsBoolean()) {
        if (held != null) {
          String why = "the node left PRIMARY (or PostgreSQL stopped): snapshot " + held.report().getSnapshotName() + " let go";
          letGo(why);
          report = failed(asked, why);
        } else if (report == null || !report.getAttempt().equals(asked.getAttempt())) {
          report = HeldSnapshot.newBuilder().setAttempt(asked.getAttempt()).setSlotName(asked.getSlotName()).build(); // not yet
        }
        return;
      }
      if (held != null) {
        if (!alive(held)) {
          String why = "the replication connection holding snapshot " + held.report().getSnapshotName() + " ended: the snapshot is lost";
          LOG.warning(why);
          letGo(why);
          report = failed(asked, why);
        }
        return;
      }
      if (asked.getAttempt().equals(triedAttempt)) {
        if (report == null || !report.getAttempt().equals(asked.getAttempt()) || report.getError().isEmpty()) {
          report = failed(asked, "attempt " + asked.getAttempt() + " was tried before (by this agent or one before it) and its "
              + "snapshot is gone: a new attempt is needed");
        }
        return;
      }
      create(asked);
    } catch (Exception | LinkageError e) {
      LOG.fine("snapshot holder: " + e);
    }
  }

  private void create(ExportSnapshot asked) throws IOException {
    writeTried(asked.getAttempt());
    triedAttempt = asked.getAttempt();
    report = HeldSnapshot.newBuilder().setAttempt(asked.getAttempt()).setSlotName(asked.getSlotName()).build();
    try {
      if (slotExists(asked)) {
        report = failed(asked, "slot " + asked.getSlotName() + " exists already: the snapshot it exported is not held here "
            + "(drop the slot for a new attempt)");
        return;
      }
      Connection c = w.access().endpoint(asked.getDatabase()).withParams(Map.of("replication", "database",
          "preferQueryMode", "simple", "assumeMinServerVersion", "10")).connect(Purpose.COPY);
      try {
        int pid = c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(createCommand(asked, w.pgMajor()))) {
          if (!rs.next() || rs.getString("snapshot_name") == null) {
            throw new SQLException("CREATE_REPLICATION_SLOT " + asked.getSlotName() + " exported no snapshot");
          }
          HeldSnapshot r = HeldSnapshot.newBuilder().setAttempt(asked.getAttempt()).setSlotName(asked.getSlotName())
              .setSnapshotName(rs.getString("snapshot_name")).setConsistentLsn(rs.getString("consistent_point"))
              .setHeldSinceUnixMs(System.currentTimeMillis()).build();
          held = new Held(asked, c, pid, r);
          report = r;
          LOG.info("holding snapshot " + r.getSnapshotName() + " of slot " + r.getSlotName() + " (consistent point "
              + r.getConsistentLsn() + ", attempt " + r.getAttempt() + ")");
        }
      } catch (SQLException | RuntimeException e) {
        c.close();
        throw e;
      }
    } catch (SQLException e) {
      report = failed(asked, "creating slot " + asked.getSlotName() + ": " + e.getMessage());
      LOG.warning(report.getError());
    }
  }

  /**
   * The replication command: PostgreSQL 15+ takes the option list (SNAPSHOT 'export', FAILOVER on 17), older ones
   * the keyword EXPORT_SNAPSHOT.
   */
  static String createCommand(ExportSnapshot asked, int pgMajor) {
    String head = "CREATE_REPLICATION_SLOT " + SqlQuote.ident(asked.getSlotName()) + " LOGICAL " + asked.getPlugin();
    if (pgMajor < 15) {
      return head + " EXPORT_SNAPSHOT";
    }
    return head + " (SNAPSHOT 'export'" + (asked.getFailover() && pgMajor >= 17 ? ", FAILOVER true" : "") + ")";
  }

  private boolean slotExists(ExportSnapshot asked) throws SQLException {
    try (Connection c = w.access().endpoint(asked.getDatabase()).connect(Purpose.PROBE);
         PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, asked.getSlotName());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** The walsender still runs: asked from another session (a command on the holding one would end its snapshot). */
  private boolean alive(Held h) {
    try {
      if (h.replication().isClosed()) {
        return false;
      }
      try (Connection c = w.access().endpoint(h.asked().getDatabase()).connect(Purpose.PROBE);
           PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_stat_activity WHERE pid = ?")) {
        ps.setInt(1, h.pid());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    } catch (SQLException e) {
      return true; // cannot tell now (no connection slot free, ...): asked again next tick; a restart shows as a new pid
    }
  }

  private void letGo(String why) {
    if (held == null) {
      return;
    }
    LOG.info("letting go of snapshot " + held.report().getSnapshotName() + " of slot " + held.report().getSlotName() + ": " + why);
    try {
      held.replication().close();
    } catch (SQLException ignored) {
      // closing: nothing left to do with it
    }
    held = null;
  }

  private static HeldSnapshot failed(ExportSnapshot asked, String error) {
    return HeldSnapshot.newBuilder().setAttempt(asked.getAttempt()).setSlotName(asked.getSlotName()).setError(error).build();
  }

  private String readTried() {
    try {
      Path f = w.stateDir().resolve(ATTEMPT_FILE);
      return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8).strip() : null;
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + w.stateDir().resolve(ATTEMPT_FILE) + ": " + e.getMessage(), e);
    }
  }

  private void writeTried(String attempt) throws IOException {
    Path f = w.stateDir().resolve(ATTEMPT_FILE);
    Path tmp = w.stateDir().resolve(ATTEMPT_FILE + ".tmp");
    Files.writeString(tmp, attempt + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public void close() {
    Daemons.stop(thread, Duration.ofSeconds(10));
    letGo("the agent stops");
  }
}
