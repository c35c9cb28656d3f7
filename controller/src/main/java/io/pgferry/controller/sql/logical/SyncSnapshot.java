package io.pgferry.controller.sql.logical;

import io.pgferry.controller.sql.TableRef;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One look at LOGICAL_SYNC: each table's pg_subscription_rel state with its size on A, the slot's lag and the WAL
 * it keeps on A.
 *
 * @param lagBytes A's current LSN minus the slot's confirmed_flush_lsn (-1: no slot)
 * @param lagSeconds the walsender's replay_lag (0 when nothing is pending, empty when unknown)
 * @param retainedWalBytes A's current LSN minus the slot's restart_lsn: WAL A must keep for this slot
 * @param eta time to finish the initial copy at the rate since the previous snapshot (empty: no rate yet or done)
 */
public record SyncSnapshot(Instant at, List<TableSync> tables, long lagBytes, OptionalDouble lagSeconds, long retainedWalBytes,
                           boolean slotActive, Optional<Duration> eta) {
  /** One table: state i (init), d (copying), f (copied), s (synced), r (ready). */
  public record TableSync(TableRef table, char state, long sourceBytes, long copiedBytes) {
    public boolean ready() {
      return state == 'r';
    }
  }

  public long totalBytes() {
    return tables.stream().mapToLong(TableSync::sourceBytes).sum();
  }

  public long copiedBytes() {
    return tables.stream().mapToLong(TableSync::copiedBytes).sum();
  }

  public double percent() {
    long total = totalBytes();
    if (total == 0) {
      return tables.stream().allMatch(TableSync::ready) ? 100.0 : 0.0;
    }
    return Math.min(100.0, 100.0 * copiedBytes() / total);
  }

  public boolean allReady() {
    return !tables.isEmpty() && tables.stream().allMatch(TableSync::ready);
  }

  /** The exit condition of LOGICAL_SYNC: every table ready and the slot no further behind than {@code maxLagBytes}. */
  public boolean caughtUp(long maxLagBytes) {
    return allReady() && lagBytes >= 0 && lagBytes <= maxLagBytes;
  }

  /** An inactive or lagging slot can fill A's disk. */
  public boolean retainedWalAlert(long thresholdBytes) {
    return retainedWalBytes > thresholdBytes;
  }

  public String sentence() {
    return sentence("the publisher");
  }

  /** @param publisher the node whose slot T follows (A, or B after a failover) */
  public String sentence(String publisher) {
    long ready = tables.stream().filter(TableSync::ready).count();
    return String.format("%d/%d tables ready, %.1f%% copied, lag %d bytes%s, slot keeps %d bytes of WAL on %s%s%s", ready, tables.size(), percent(),
        lagBytes, lagSeconds.isPresent() ? String.format(" (%.1f s)", lagSeconds.getAsDouble()) : "", retainedWalBytes, publisher,
        eta.map(d -> ", ETA " + d.toSeconds() + " s").orElse(""), notReady());
  }

  /** The tables still syncing with their pg_subscription_rel state, the first few: what a stuck sync is stuck on. */
  private String notReady() {
    List<String> waiting = tables.stream().filter(t -> !t.ready()).limit(MAX_NAMED + 1)
        .map(t -> t.table() + " (" + stateName(t.state()) + ")").toList();
    if (waiting.isEmpty()) {
      return "";
    }
    return "; not ready: " + String.join(", ", waiting.subList(0, Math.min(MAX_NAMED, waiting.size())))
        + (waiting.size() > MAX_NAMED ? ", ..." : "");
  }

  private static final int MAX_NAMED = 3;

  static String stateName(char state) {
    return switch (state) {
      case 'i' -> "init: its sync worker has not copied yet";
      case 'd' -> "copying";
      case 'f' -> "copied, finishing";
      case 's' -> "synced, waiting for apply";
      default -> String.valueOf(state);
    };
  }
}
