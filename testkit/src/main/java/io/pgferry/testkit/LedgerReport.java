package io.pgferry.testkit;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the ledger proves (DESIGN.md §8): acknowledged rows, acknowledged rows missing on the final database (lost),
 * rows present more than once (duplicated), and the largest gap between consecutive successful commits (the write
 * downtime), overall or around an event.
 */
public final class LedgerReport {
  private final long acknowledged;
  private final long lost;
  private final long duplicated;
  private final long unacknowledgedPresent;
  private final long failedAttempts;
  private final List<Ledger.Failure> failures;
  private final long[] commitNanos;

  private LedgerReport(long acknowledged, long lost, long duplicated, long unacknowledgedPresent, List<Ledger.Failure> failures,
      long[] commitNanos) {
    this.acknowledged = acknowledged;
    this.lost = lost;
    this.duplicated = duplicated;
    this.unacknowledgedPresent = unacknowledgedPresent;
    this.failedAttempts = failures.size();
    this.failures = failures;
    this.commitNanos = commitNanos;
  }

  /** {@code counts}: rows per (writer, seq) key on the final database(s). */
  static LedgerReport of(List<Ledger.Ack> acks, List<Ledger.Failure> failures, Map<Long, Integer> counts) {
    Set<Long> acked = new HashSet<>();
    long lost = 0;
    for (Ledger.Ack a : acks) {
      long key = Ledger.key(a.writer(), a.seq());
      acked.add(key);
      if (counts.getOrDefault(key, 0) == 0) {
        lost++;
      }
    }
    long duplicated = counts.values().stream().filter(n -> n > 1).count();
    long unackedPresent = counts.keySet().stream().filter(k -> !acked.contains(k)).count();
    long[] times = acks.stream().mapToLong(Ledger.Ack::commitNanos).sorted().toArray();
    return new LedgerReport(acks.size(), lost, duplicated, unackedPresent, failures, times);
  }

  public long acknowledged() {
    return acknowledged;
  }

  /** Acknowledged (COMMIT returned) but missing on the final database. Must be 0. */
  public long lost() {
    return lost;
  }

  /** (writer_id, seq) pairs present more than once. Must be 0. */
  public long duplicated() {
    return duplicated;
  }

  /** Rows whose COMMIT failed or never returned but which did commit (Jepsen's "recovered"): allowed, informative. */
  public long unacknowledgedPresent() {
    return unacknowledgedPresent;
  }

  /** Attempts that failed (each was followed by a retry with the next seq). */
  public long failedAttempts() {
    return failedAttempts;
  }

  public List<Ledger.Failure> failures() {
    return failures;
  }

  /** Largest gap between consecutive successful commits over the whole run. */
  public Duration maxGap() {
    return maxGapBetween(Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /**
   * Largest gap between consecutive successful commits around an event that lasted from {@code fromNanos} to
   * {@code toNanos} (Ledger.now() stamps): the commits inside the window plus the last one before it and the first
   * one after it. A gap still open at the end (no commit after the window) counts as zero: call it once writes
   * resumed.
   */
  public Duration maxGapBetween(long fromNanos, long toNanos) {
    if (commitNanos.length < 2) {
      return Duration.ZERO;
    }
    int first = Arrays.binarySearch(commitNanos, fromNanos);
    first = first >= 0 ? first : -first - 1;
    first = Math.max(0, first - 1);
    int last = Arrays.binarySearch(commitNanos, toNanos);
    last = last >= 0 ? last : -last - 1;
    last = Math.min(commitNanos.length - 1, last);
    long max = 0;
    for (int i = first + 1; i <= last; i++) {
      max = Math.max(max, commitNanos[i] - commitNanos[i - 1]);
    }
    return Duration.ofNanos(max);
  }

  /** One line for test output and demo logs. */
  public String summary() {
    return String.format("ledger: acknowledged=%d lost=%d duplicated=%d unacknowledged_present=%d failed_attempts=%d max_gap=%.3fs",
        acknowledged, lost, duplicated, unacknowledgedPresent, failedAttempts, maxGap().toNanos() / 1e9);
  }

  @Override
  public String toString() {
    return summary();
  }
}
