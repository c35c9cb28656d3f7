package io.pgferry.agent.fence;

import java.time.Duration;

/**
 * When a PRIMARY fences itself: {@code margin} before its lease expires (so PostgreSQL refuses writes before the
 * controller may promote another node), and - when {@code required} (goals come from a controller) - at once if it
 * holds a PRIMARY goal but no lease, e.g. after an agent restart, until the controller renews it.
 */
public record LeasePolicy(boolean required, Duration maxMargin, double marginFraction) {
  /** Goals from a file: no lease needed, but one that is granted is still enforced early. */
  public static final LeasePolicy DEFAULT = new LeasePolicy(false, Duration.ofSeconds(2), 0.2);
  /** Goals from the controller: a PRIMARY without a valid lease is fenced. */
  public static final LeasePolicy CONTROLLED = new LeasePolicy(true, Duration.ofSeconds(2), 0.2);

  /**
   * The lease as the converger enforces it: expiring {@code min(maxMargin, marginFraction x remaining)} early,
   * decided when it is granted (remaining is then about the lease's length).
   */
  public Lease enforced(Lease granted, long nowNanos) {
    if (!granted.granted()) {
      return granted;
    }
    long remaining = Math.max(0, granted.expiresAtNanos() - nowNanos);
    long margin = Math.min(maxMargin.toNanos(), (long) (remaining * marginFraction));
    return Lease.until(granted.expiresAtNanos() - margin);
  }

  /** An already expired lease: what a PRIMARY goal without any lease amounts to when leases are required. */
  public static Lease expiredAt(long nowNanos) {
    return Lease.until(nowNanos - 1);
  }
}
