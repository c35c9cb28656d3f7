package io.pgferry.agent.slots;

import io.pgferry.common.Lsn;
import io.pgferry.common.pg.SqlQuote;
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
 * sent twice - and reports whether the copy is safe ({@link SlotSafety}, {@link DecodingStart}). The copy takes the
 * primary's serialized snapshot at the slot's restart_lsn along with the state file: decoding that starts without it
 * skips every commit until it finds a consistent point (after a promotion, that silently lost the subscriber's first
 * transactions from the new primary). Needs, on the standby, a physical slot on the primary, hot_standby_feedback =
 * on and wal_level = logical ({@link SlotSettings#copiedSlotStandby()}). Both connections need a superuser (or
 * pg_read_server_files + pg_checkpoint) to read the state and snapshot files.
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
  /** What this keeper installed (null: no copy made by it yet; a copy found at start is checked, not trusted). */
  private DecodingStart installed;
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

  /** @param snapshotAtRestart the standby holds a serialized snapshot at restartLsn */
  private record Copy(Long catalogXmin, Lsn confirmedFlushLsn, Lsn restartLsn, boolean snapshotAtRestart) {}

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
    if (here.copy() != null && !recopy && installed == null && !here.copy().snapshotAtRestart()) {
      LOG.warning("slot copy " + options.slot() + " found without a serialized snapshot at its restart_lsn "
          + here.copy().restartLsn() + " (made before this keeper ran): copying it again");
      recopy = true;
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
    String start = here.copy() == null ? "no copy" : startProblem(here.copy());
    if (start != null) {
      return verdict(false, start + "; " + v.reason(), onPrimary, physicalXmin, here.copy(), here.replayLsn());
    }
    return verdict(v.safe(), v.reason(), onPrimary, physicalXmin, here.copy(), here.replayLsn());
  }

  private SlotCopyStatus verdict(boolean safe, String reason, PrimarySlot p, Long physical, Copy copy, Lsn replay) {
    return new SlotCopyStatus(options.slot(), safe, reason, p == null ? null : p.catalogXmin(), physical,
        copy == null ? null : copy.catalogXmin(), p == null ? Lsn.INVALID : p.confirmedFlushLsn(),
        copy == null ? Lsn.INVALID : copy.confirmedFlushLsn(), replay, copies, "");
  }

  /**
   * null when decoding from the copy on this standby is consistent from its restart_lsn on, as on the primary:
   * this standby holds a serialized snapshot there (copied, or serialized by its own decoding since), or the
   * primary had none there either (then both decode from scratch over the same WAL and find the same point).
   */
  private String startProblem(Copy copy) {
    if (copy.snapshotAtRestart()) {
      return null;
    }
    if (installed != null && !installed.withSnapshot() && installed.restartLsn().equals(copy.restartLsn())) {
      return null;
    }
    return "no serialized snapshot at the copy's restart_lsn " + copy.restartLsn() + " on this standby: decoding"
        + " from it would skip commits until it finds a consistent point";
  }

  /** Stops the standby, installs a fresh state file of the primary's slot and its snapshot, starts the standby. */
  private void copy(String database) throws Exception {
    PrimarySlot fresh = null;
    SlotFiles.Snapshot snapshot = null;
    try (Connection a = primary.connect("postgres")) {
      for (int attempt = 1; fresh == null; attempt++) {
        PrimarySlot read = readPrimary(a, true);
        if (read == null) {
          throw new IllegalStateException("the primary has no logical slot " + options.slot() + " to copy");
        }
        Lsn at = SlotFiles.restartLsn(read.state());
        snapshot = readSnapshot(a, at);
        // no snapshot file: genuine (the slot never moved from where it was created) only if the slot's restart_lsn
        // on disk is still the same; a checkpoint writes a moved slot to disk before it removes older snapshots
        if (snapshot != null || SlotFiles.restartLsn(readState(a)).equals(at)) {
          fresh = read;
        } else if (attempt == 3) {
          throw new IllegalStateException("the primary's slot " + options.slot() + " kept moving while it was read; trying again later");
        }
      }
    }
    Lsn restart = SlotFiles.restartLsn(fresh.state());
    PrimarySlot copied = fresh;
    SlotFiles.Snapshot withIt = snapshot;
    LOG.info("copying logical slot " + options.slot() + " from the primary (restart_lsn " + restart + ", catalog_xmin "
        + fresh.catalogXmin() + ", " + (snapshot == null ? "no serialized snapshot there" : "with its serialized snapshot")
        + "): restarting the standby");
    control.whileStopped(() -> SlotFiles.install(options.dataDir(), options.slot(), copied.state(), withIt, options.osUser()));
    copies++;
    recopy = false;
    installed = new DecodingStart(restart, snapshot != null);
    safety.reset();
  }

  /** The slot's state file as it is on the primary's disk now (no checkpoint first). */
  private byte[] readState(Connection a) throws SQLException {
    try (PreparedStatement ps = a.prepareStatement("select pg_read_binary_file('pg_replslot/' || slot_name || '/state') "
        + "from pg_replication_slots where slot_name = ? and slot_type = 'logical'")) {
      ps.setString(1, options.slot());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("the primary's slot " + options.slot() + " disappeared while it was copied");
        }
        return rs.getBytes(1);
      }
    }
  }

  /** The primary's serialized snapshot at {@code lsn}, or null when it has none (a slot that never moved on). */
  private static SlotFiles.Snapshot readSnapshot(Connection a, Lsn lsn) throws SQLException {
    try (PreparedStatement ps = a.prepareStatement("select pg_read_binary_file(p) from (select ?::text p) f "
        + "where (pg_stat_file(p, true)).size is not null")) {
      ps.setString(1, SlotFiles.snapshotPath(lsn));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new SlotFiles.Snapshot(lsn, rs.getBytes(1)) : null;
      }
    }
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
    String slot = "from pg_replication_slots where slot_name = " + literal(options.slot());
    try (Connection b = local.connect(database); Statement st = b.createStatement();
         ResultSet rs = st.executeQuery("select pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
             + "(select catalog_xmin::text " + slot + "), (select confirmed_flush_lsn::text " + slot + "), "
             + "exists (select 1 " + slot + "), (select restart_lsn::text " + slot + "), "
             + "(select (pg_stat_file('pg_logical/snapshots/' || replace(restart_lsn::text, '/', '-') || '.snap', true))"
             + ".size is not null " + slot + ")")) {
      rs.next();
      Copy copy = rs.getBoolean(5)
          ? new Copy(xid(rs.getString(3)), lsn(rs.getString(4)), lsn(rs.getString(6)), rs.getBoolean(7)) : null;
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
    return SqlQuote.literal(s);
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
