package io.pgferry.agent.fence;

/** A PRIMARY's lease on the System.nanoTime() clock. {@link #NONE}: no lease was ever granted (no controller). */
public record Lease(boolean granted, long expiresAtNanos) {
  public static final Lease NONE = new Lease(false, 0);

  public static Lease until(long expiresAtNanos) {
    return new Lease(true, expiresAtNanos);
  }

  public boolean expired(long nowNanos) {
    return granted && nowNanos - expiresAtNanos >= 0;
  }

  public long remainingMs(long nowNanos) {
    return granted ? Math.max(0, (expiresAtNanos - nowNanos) / 1_000_000) : -1;
  }
}
