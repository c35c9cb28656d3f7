package io.pgferry.controller.journey;

import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.slots.SlotWal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A's disk while it holds slots (#14 item 6): from two readings of the WAL the slots retain and of A's free disk,
 * how long until the disk is full, or until the slot is invalidated by max_slot_wal_keep_size (safe_wal_size), at the
 * current growth; a warning when that is within wal_safety.warn_hours_to_full or the free space is under
 * wal_safety.warn_free_below_percent. Pure: the caller reads, this decides. Not thread-safe (one per wait).
 */
public final class WalGuard {
  /** One look: the slots on A and A's data directory (Status.disk of A's agent). */
  public record Reading(Instant at, List<SlotWal.Slot> slots, long freeBytes, long totalBytes) {
    long retained() {
      return slots.stream().mapToLong(SlotWal.Slot::retainedBytes).max().orElse(0);
    }

    OptionalLong safeWal() {
      return slots.stream().map(SlotWal.Slot::safeWalBytes).filter(OptionalLong::isPresent)
          .mapToLong(OptionalLong::getAsLong).min();
    }
  }

  /**
   * {@code warning}: a sentence to journal when present; {@code line}: the status line either way;
   * {@code forecastSeconds}: until A's disk is full or the slot is invalidated, whichever first (infinite when the
   * retained WAL is not growing, NaN before two readings).
   */
  public record Assessment(String line, Optional<String> warning, double forecastSeconds) {}

  private final Plan.WalSafety config;
  private Reading previous;

  public WalGuard(Plan.WalSafety config) {
    this.config = config;
  }

  public Assessment assess(Reading now) {
    Reading before = previous;
    previous = now;
    StringBuilder line = new StringBuilder("A retains ").append(mib(now.retained())).append(" of WAL for its slots, ")
        .append(mib(now.freeBytes())).append(" free");
    String warning = null;
    double forecast = before == null ? Double.NaN : Double.POSITIVE_INFINITY;
    if (now.totalBytes() > 0 && now.freeBytes() * 100 < (long) config.warnFreeBelowPercent() * now.totalBytes()) {
      warning = "A's disk has " + mib(now.freeBytes()) + " free of " + mib(now.totalBytes()) + " (under wal_safety.warn_free_below_percent "
          + config.warnFreeBelowPercent() + "%)";
    }
    if (before != null && now.at().isAfter(before.at())) {
      double seconds = Duration.between(before.at(), now.at()).toMillis() / 1000.0;
      double rate = (now.retained() - before.retained()) / seconds;
      if (rate > 0) {
        line.append(", growing ").append(mib((long) rate)).append("/s");
        double toFull = now.freeBytes() / rate;
        OptionalLong safe = now.safeWal();
        double toLost = safe.isPresent() ? Math.max(0, safe.getAsLong()) / rate : Double.POSITIVE_INFINITY;
        double horizon = config.warnHoursToFull() * 3600.0;
        forecast = Math.min(toFull, toLost);
        line.append(": disk full in ").append(hours(toFull));
        if (safe.isPresent()) {
          line.append(", slot invalidated (max_slot_wal_keep_size) in ").append(hours(toLost));
        }
        if (Math.min(toFull, toLost) < horizon) {
          String when = toLost < toFull
              ? "the slot will be invalidated by max_slot_wal_keep_size in " + hours(toLost)
              : "A's disk will be full in " + hours(toFull);
          warning = (warning == null ? "" : warning + "; ") + "at the current WAL growth (" + mib((long) rate) + "/s) "
              + when + ": T must catch up (see pgferry status for its lag) or A needs disk";
        }
      }
    }
    return new Assessment(line.toString(), Optional.ofNullable(warning), forecast);
  }

  public static String mib(long bytes) {
    return bytes >= 1L << 30 ? String.format("%.1f GiB", bytes / (double) (1L << 30)) : String.format("%.1f MiB", bytes / (double) (1L << 20));
  }

  static String hours(double seconds) {
    return seconds >= 3600 ? String.format("%.1f h", seconds / 3600) : String.format("%.0f min", Math.ceil(seconds / 60));
  }
}
