package io.pgferry.controller.journey.steps;

import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.WalGuard;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.ServerReadings;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.controller.sql.logical.LogicalMetrics;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.controller.sql.logical.PublishedTables;
import io.pgferry.controller.sql.slots.SlotWal;
import io.pgferry.proto.Disk;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The live WAL guard of the sync wait (#14 item 6): each poll reads the slots on the publisher and its agent's free
 * disk; journals a warning with the forecast (at most every {@link #REPEAT}, or when its wording changes), and stops
 * with what to do when the subscription's slot was invalidated (wal_status lost).
 */
final class WalWatch {
  static final Duration REPEAT = Duration.ofMinutes(15);

  private final WalGuard guard;
  private final LogicalNames names;
  private Instant warnedAt;
  private String warned;

  WalWatch(Plan.WalSafety config, LogicalNames names) {
    this.guard = new WalGuard(config);
    this.names = names;
  }

  static List<String> describe(Plan.WalSafety w) {
    return List.of("each poll, on A: " + SlotWal.describe() + "; with A's free disk (Status.disk): forecast of disk full /"
        + " slot invalidated at the current growth, a journaled WARNING when under " + w.warnHoursToFull() + " h or under "
        + w.warnFreeBelowPercent() + "% free; the subscription's slot lost (wal_status) stops the wait naming the tables to re-sync");
  }

  static String describePreflight(Plan.WalSafety w) {
    return "A's free disk (Status.disk) vs " + ServerReadings.DATABASE_SIZE + ": refused when smaller and no"
        + " wal_safety.max_slot_wal_keep_size (now " + (w.maxSlotWalKeepSize().isEmpty() ? "unset" : w.maxSlotWalKeepSize())
        + "); a warning under " + w.warnFreeBelowPercent() + "% free";
  }

  /** "; " + the guard's line, or "" when A cannot be read now (the sync wait reports that itself). */
  String check(StepContext ctx) throws JourneyException {
    List<SlotWal.Slot> slots;
    try (Connection c = LogicalEndpoints.a(ctx).connect(Purpose.PROBE)) {
      slots = SlotWal.read(c);
      Optional<SlotWal.Slot> mine = SlotWal.find(slots, names.slot());
      if (mine.isPresent() && mine.get().lost()) {
        LogicalMetrics.recordWal(0, true);
        throw new JourneyException(lostMessage(LogicalEndpoints.publisherId(ctx), names, PublishedTables.list(c)));
      }
    } catch (SQLException e) {
      return "";
    }
    Disk disk = ctx.ports().nodes().node(LogicalEndpoints.publisherId(ctx)).map(v -> v.status().getDisk())
        .orElse(Disk.getDefaultInstance());
    Instant now = ctx.clock().instant();
    WalGuard.Assessment a = guard.assess(new WalGuard.Reading(now, slots, disk.getDataDirFreeBytes(), disk.getDataDirTotalBytes()));
    LogicalMetrics.recordWal(a.forecastSeconds(), false);
    if (a.warning().isPresent()) {
      String w = a.warning().get();
      boolean changed = warned == null || !kind(w).equals(kind(warned));
      if (changed || Duration.between(warnedAt, now).compareTo(REPEAT) >= 0) {
        ctx.warn(w);
        warned = w;
        warnedAt = now;
      }
    } else {
      warned = null;
    }
    for (SlotWal.Slot s : slots) {
      if (s.lost() || s.unreserved()) {
        return "; " + a.line() + "; slot " + s.name() + " (" + s.type() + ") is " + s.walStatus().toUpperCase(Locale.ROOT);
      }
    }
    return "; " + a.line();
  }

  /**
   * LOGICAL_SETUP's disk check of the publisher: its free space (Status.disk of its agent) against
   * wal_safety.warn_free_below_percent (a warning), and, with no max_slot_wal_keep_size, against the database's size (the
   * initial copy holds the slot back for about as long as it takes to copy that much: the WAL the app writes
   * meanwhile stays on A: refused when it has less free). Throws then; returns the sentence for the journal otherwise.
   */
  static String preflight(StepContext ctx) throws Exception {
    String id = LogicalEndpoints.publisherId(ctx);
    Disk disk = ctx.ports().nodes().node(id).map(v -> v.status().getDisk()).orElse(Disk.getDefaultInstance());
    if (disk.getDataDirTotalBytes() <= 0) {
      throw new JourneyException("the agent of " + id + " reports no disk figures (Status.disk): the WAL its slots will"
          + " keep cannot be weighed against its free space");
    }
    long dbBytes;
    try (Connection c = LogicalEndpoints.a(ctx).connect(Purpose.PROBE)) {
      dbBytes = ServerReadings.databaseSize(c);
    }
    return diskVerdict(id, ctx.plan().walSafety(), disk.getDataDirFreeBytes(), disk.getDataDirTotalBytes(), dbBytes);
  }

  static String diskVerdict(String id, Plan.WalSafety w, long free, long total, long dbBytes) throws JourneyException {
    String figures = id + " has " + WalGuard.mib(free) + " free of " + WalGuard.mib(total) + ", the database is "
        + WalGuard.mib(dbBytes);
    if (w.maxSlotWalKeepSize().isEmpty() && free < dbBytes) {
      throw new JourneyException("WAL safety: " + figures + " and no wal_safety.max_slot_wal_keep_size: WAL written"
          + " while the tables are copied may fill the disk and stop the app's writes. Set"
          + " wal_safety.max_slot_wal_keep_size (a slot past it is invalidated and its tables re-synced instead) or give "
          + id + " more disk, then `pgferry resume`");
    }
    String low = free * 100 < (long) w.warnFreeBelowPercent() * total
        ? "; WARNING: under wal_safety.warn_free_below_percent (" + w.warnFreeBelowPercent() + "%): the slots created now"
            + " keep WAL on that disk until T has copied every table; watch pgferry status" : "";
    return "WAL safety: " + figures + (w.maxSlotWalKeepSize().isEmpty() ? "; no max_slot_wal_keep_size (unlimited)"
        : "; max_slot_wal_keep_size " + w.maxSlotWalKeepSize()) + low;
  }

  /** A warning's kind without its numbers: a new kind is journaled at once, the same one every {@link #REPEAT}. */
  private static String kind(String warning) {
    return warning.replaceAll("[0-9.]+", "");
  }

  static String lostMessage(String publisher, LogicalNames names, List<TableRef> tables) {
    return "the subscription's slot " + names.slot() + " on " + publisher + " was invalidated (pg_replication_slots.wal_status"
        + " = 'lost': it retained more WAL than max_slot_wal_keep_size allows); T can no longer follow " + publisher
        + ". Every table of the publication must be copied again: " + tables + ". To re-sync: on T, ALTER SUBSCRIPTION "
        + names.subscription() + " DISABLE; ALTER SUBSCRIPTION " + names.subscription() + " SET (slot_name = NONE); DROP SUBSCRIPTION "
        + names.subscription() + "; TRUNCATE those tables; on " + publisher + ", SELECT pg_drop_replication_slot('" + names.slot()
        + "'); then run LOGICAL_SETUP again from a fresh journal for the logical phases (the subscription step copies the"
        + " tables anew). Before that, give " + publisher + " more disk or raise wal_safety.max_slot_wal_keep_size if the"
        + " copy cannot keep up.";
  }
}
