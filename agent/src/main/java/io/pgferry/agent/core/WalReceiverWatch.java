package io.pgferry.agent.core;

/**
 * Since when the WAL receiver has not been seen streaming (Status.wal_receiver_down_ms): the controller promotes a
 * standby only once this has lasted the failsafe window (docs/failsafe.md). Counts from the agent's start when it never
 * saw the receiver stream (it may have streamed just before). The first look that sees it down stamps the time of
 * that look, never earlier than the truth.
 */
public final class WalReceiverWatch {
  private Long downSinceNanos;

  public WalReceiverWatch(long startedNanos) {
    this.downSinceNanos = startedNanos;
  }

  /** One look at the receiver; returns how long it has been down (ms), -1 while it streams. */
  public synchronized long update(boolean streaming, long nowNanos) {
    if (streaming) {
      downSinceNanos = null;
      return -1;
    }
    if (downSinceNanos == null) {
      downSinceNanos = nowNanos;
    }
    return Math.max(0, (nowNanos - downSinceNanos) / 1_000_000);
  }
}
