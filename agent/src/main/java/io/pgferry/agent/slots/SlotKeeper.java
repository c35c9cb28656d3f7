package io.pgferry.agent.slots;

import io.pgferry.common.Lsn;
import io.pgferry.proto.Slot;
import io.pgferry.proto.Status;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Keeps a copy of the primary's logical slot on this standby (PG 11-16, Patroni's technique), on its own worker
 * thread: copies the slot's state file when the standby has no copy (one restart of the standby per copy), then
 * advances the copy to min(primary's confirmed_flush_lsn, local replay LSN) - never past what the subscriber
 * confirmed, so after a promotion the subscriber's origin is at or ahead of the copy and nothing is skipped or
 * sent twice - and reports whether the copy is safe ({@link SlotSafety}). Needs, on the standby, a physical slot on
 * the primary, hot_standby_feedback = on and wal_level = logical ({@link SlotSettings#copiedSlotStandby()}).
 * The primary connection needs a superuser (or pg_read_server_files + pg_checkpoint) to read the state file.
 */
public final class SlotKeeper implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SlotKeeper.class.getName());
  /** WAL already removed / slot invalidated or unusable: the copy must be made again (Patroni does the same). */
  private static final Set<String> RECOPY_STATES = Set.of("58P01", "55000");

  /**
   * @param slot         the logical slot's name (the same on both sides)
   * @param physicalSlot this standby's physical slot on the primary (its primary_slot_name)
   * @param dataDir      this standby's data directory
   * @param osUser       owner of the data directory's files (null: leave as created)
   * @param every        pause between cycles of the worker thread
   */
  public record Options(String slot, String physicalSlot, Path dataDir, String osUser, Duration every) {}

  private final Options options;
  private final Connector primary;
  private final Connector local;
  private final ClusterControl control;
  private final SlotSafety safety = new SlotSafety();
  private volatile SlotCopyStatus status;
  private volatile boolean closed;
  private boolean recopy;
  private int copies;
  private volatile Thread thread;

  public SlotKeeper(Options options, Connector primary, Connector local, ClusterControl control) {
    this.options = options;
    this.primary = primary;
    this.local = local;
    this.control = control;
    this.status = SlotCopyStatus.none(options.slot());
  }

  public SlotCopyStatus status() {
    return status;
  }

  /** Marks the slot in a Status (Slot.synced) from the last verdict; for NodeAgent.addStatusContributor. */
  public void contributeTo(Status.Builder b) {
    SlotCopyStatus s = status;
    for (int i = 0; i < b.getSlotsCount(); i++) {
      Slot slot = b.getSlots(i);
      if (slot.getName().equals(s.slot())) {
        b.setSlots(i, slot.toBuilder().setSynced(s.synced()));
      }
    }
  }

  public SlotKeeper start() {
    thread = new Thread(this::loop, "pgferry-slot-keeper-" + options.slot());
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  private void loop() {
    while (!closed) {
      runOnce();
      try {
        Thread.sleep(options.every().toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One cycle: copy if needed, advance, judge. Never throws; errors land in the status. Blocking. */
  public synchronized SlotCopyStatus runOnce() {
    try {
      status = cycle();
    } catch (Exception e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage().replaceAll("\\s+", " ").strip();
      SlotCopyStatus s = status;
      status = new SlotCopyStatus(s.slot(), s.synced(), s.reason(), s.primaryCatalogXmin(), s.physicalCatalogXmin(),
          s.copyCatalogXmin(), s.primaryConfirmedFlushLsn(), s.copyConfirmedFlushLsn(), s.replayLsn(), copies, msg);
      LOG.fine("slot keeper " + options.slot() + ": " + msg);
    }
    return status;
  }

  private record Copy(Long catalogXmin, Lsn confirmedFlushLsn) {}

  private record Local(boolean inRecovery, Lsn replayLsn, Copy copy) {}

  private SlotCopyStatus cycle() throws Exception {
    PrimarySlot onPrimary;
    Long physicalXmin;
    try (Connection a = primary.connect("postgres")) {
      onPrimary = readPrimary(a, false);
      physicalXmin = physicalCatalogXmin(a);
    }
    if (onPrimary == null) {
      return verdict(false, "the primary has no logical slot " + options.slot(), null, null, null, Lsn.INVALID);
    }
    Local here = readLocal(onPrimary.database());
    if (!here.inRecovery()) {
      return verdict(status.synced(), "this node is no longer a standby: the copy is left as it is", onPrimary,
          physicalXmin, here.copy(), here.replayLsn());
    }
    if (here.copy() == null || recopy) {
      copy(onPrimary.database());
      here = readLocal(onPrimary.database());
      if (here.copy() == null) {
        throw new IllegalStateException("slot " + options.slot() + " copied but not loaded by the standby");
      }
    }
    Lsn target = min(onPrimary.confirmedFlushLsn(), here.replayLsn());
    if (target.compareTo(here.copy().confirmedFlushLsn()) > 0) {
      try {
        advance(onPrimary.database(), target);
      } catch (SQLException e) {
        if (RECOPY_STATES.contains(e.getSQLState())) {
          recopy = true;
          LOG.warning("slot copy " + options.slot() + " unusable (" + e.getSQLState() + " " + e.getMessage() + "): copying it again");
        }
        throw e;
      }
      here = readLocal(onPrimary.database());
    }
    SlotSafety.Verdict v = safety.evaluate(onPrimary.catalogXmin(), physicalXmin, here.copy() == null ? null : here.copy().catalogXmin());
    return verdict(v.safe(), v.reason(), onPrimary, physicalXmin, here.copy(), here.replayLsn());
  }

  private SlotCopyStatus verdict(boolean safe, String reason, PrimarySlot p, Long physical, Copy copy, Lsn replay) {
    return new SlotCopyStatus(options.slot(), safe, reason, p == null ? null : p.catalogXmin(), physical,
        copy == null ? null : copy.catalogXmin(), p == null ? Lsn.INVALID : p.confirmedFlushLsn(),
        copy == null ? Lsn.INVALID : copy.confirmedFlushLsn(), replay, copies, "");
  }

  /** Stops the standby, installs a fresh state file of the primary's slot, starts the standby. */
  private void copy(String database) throws Exception {
    PrimarySlot fresh;
    try (Connection a = primary.connect("postgres")) {
      fresh = readPrimary(a, true);
    }
    if (fresh == null) {
      throw new IllegalStateException("the primary has no logical slot " + options.slot() + " to copy");
    }
    LOG.info("copying logical slot " + options.slot() + " from the primary (restart_lsn " + fresh.restartLsn()
        + ", catalog_xmin " + fresh.catalogXmin() + "): restarting the standby");
    control.whileStopped(() -> SlotFiles.install(options.dataDir(), options.slot(), fresh.state(), options.osUser()));
    copies++;
    recopy = false;
    safety.reset();
  }

  /**
   * The slot row and (withState) its state file. A CHECKPOINT first writes the slot's in-memory position to that
   * file, so the copy does not start from an old restart_lsn whose WAL the standby may no longer have.
   */
  private PrimarySlot readPrimary(Connection a, boolean withState) throws SQLException {
    if (withState) {
      try (Statement st = a.createStatement()) {
        st.execute("CHECKPOINT");
      }
    }
    String sql = "select slot_name, plugin, database, catalog_xmin::text, restart_lsn::text, confirmed_flush_lsn::text, "
        + (withState ? "pg_read_binary_file('pg_replslot/' || slot_name || '/state')" : "null::bytea")
        + " from pg_replication_slots where slot_name = ? and slot_type = 'logical' and not pg_is_in_recovery()";
    try (PreparedStatement ps = a.prepareStatement(sql)) {
      ps.setString(1, options.slot());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        return new PrimarySlot(rs.getString(1), rs.getString(2), rs.getString(3), xid(rs.getString(4)),
            lsn(rs.getString(5)), lsn(rs.getString(6)), rs.getBytes(7));
      }
    }
  }

  private Long physicalCatalogXmin(Connection a) throws SQLException {
    try (PreparedStatement ps = a.prepareStatement(
        "select catalog_xmin::text from pg_replication_slots where slot_name = ? and slot_type = 'physical'")) {
      ps.setString(1, options.physicalSlot());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("the primary has no physical slot " + options.physicalSlot()
              + " for this standby: the copy cannot be protected (create it and set primary_slot_name)");
        }
        return xid(rs.getString(1));
      }
    }
  }

  private Local readLocal(String database) throws SQLException {
    try (Connection b = local.connect(database); Statement st = b.createStatement();
         ResultSet rs = st.executeQuery("select pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
             + "(select catalog_xmin::text from pg_replication_slots where slot_name = " + literal(options.slot()) + "), "
             + "(select confirmed_flush_lsn::text from pg_replication_slots where slot_name = " + literal(options.slot()) + "), "
             + "exists (select 1 from pg_replication_slots where slot_name = " + literal(options.slot()) + ")")) {
      rs.next();
      Copy copy = rs.getBoolean(5) ? new Copy(xid(rs.getString(3)), lsn(rs.getString(4))) : null;
      return new Local(rs.getBoolean(1), lsn(rs.getString(2)), copy);
    }
  }

  private void advance(String database, Lsn target) throws SQLException {
    try (Connection b = local.connect(database); Statement st = b.createStatement()) {
      st.execute("set statement_timeout = 0");
      try (PreparedStatement ps = b.prepareStatement("select pg_replication_slot_advance(?, ?::pg_lsn)")) {
        ps.setString(1, options.slot());
        ps.setString(2, target.toString());
        ps.execute();
      }
    }
  }

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /** INVALID when either is unknown: then nothing is advanced. */
  private static Lsn min(Lsn a, Lsn b) {
    if (!a.isValid() || !b.isValid()) {
      return Lsn.INVALID;
    }
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Lsn lsn(String text) {
    return text == null ? Lsn.INVALID : Lsn.parse(text);
  }

  private static Long xid(String text) {
    return text == null ? null : Long.parseLong(text);
  }

  @Override
  public void close() {
    closed = true;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
