package io.pgferry.agent.link;

import java.util.OptionalLong;

/**
 * When (on the {@link System#nanoTime()} clock) each recent Status left the agent, by seq. A bounded ring: a lease
 * granted against a Status too old to remember is treated as unknown, which is the safe side (no lease).
 */
final class SentStatusTimes {
  private final long[] seqs;
  private final long[] nanos;

  SentStatusTimes(int capacity) {
    seqs = new long[capacity];
    nanos = new long[capacity];
  }

  void record(long seq, long sentNanos) {
    int slot = slot(seq);
    seqs[slot] = seq;
    nanos[slot] = sentNanos;
  }

  OptionalLong sentNanos(long seq) {
    if (seq <= 0) {
      return OptionalLong.empty();
    }
    int slot = slot(seq);
    return seqs[slot] == seq ? OptionalLong.of(nanos[slot]) : OptionalLong.empty();
  }

  private int slot(long seq) {
    return (int) Math.floorMod(seq, (long) seqs.length);
  }
}
