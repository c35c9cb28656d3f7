package io.pgferry.agent.metrics;

/**
 * Time the node served as a failsafe primary (lease lapsed, kept up on its standby's evidence; docs/failsafe.md),
 * summed from the Status the agent builds after each observation: the time from one build to the next counts when
 * the earlier one said {@code failsafe_serving}.
 */
final class FailsafeTime {
  private long lastNanos;
  private boolean lastServing;
  private boolean seen;
  private long totalNanos;

  synchronized void observe(boolean serving, long nowNanos) {
    if (seen && lastServing) {
      totalNanos += Math.max(0, nowNanos - lastNanos);
    }
    seen = true;
    lastServing = serving;
    lastNanos = nowNanos;
  }

  synchronized double seconds() {
    return totalNanos / 1e9;
  }
}
