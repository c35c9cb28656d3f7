package io.pgferry.agent.fence;

/**
 * Issue #17 item 5 as one pure function: a PRIMARY fences itself only when it can reach neither the controller (its
 * lease is renewed) nor its standby (the standby the controller would promote streams from it, replying recently).
 * While that standby streams from this node the controller cannot promote it (docs/failsafe.md), so serving on is
 * safe; once its replies stop, the evidence ages out and this node fences before the controller's failsafe window
 * ends. The result is the lease to enforce: the granted one while valid, else one that lasts as long as the evidence.
 */
public final class FailsafeRule {
  private FailsafeRule() {}

  public enum Verdict {
    /** The controller renewed the lease: serve. */
    SERVE_LEASED,
    /** The lease ran out, but the standby streams from this node: serve until its evidence ages out. */
    SERVE_FAILSAFE,
    /** Neither: stop PostgreSQL. */
    FENCE
  }

  /** The decision, the lease the converger enforces for it, and a sentence for logs and Status. */
  public record Decision(Verdict verdict, Lease enforce, String reason) {
    public boolean failsafe() {
      return verdict == Verdict.SERVE_FAILSAFE;
    }
  }

  /**
   * @param leased          the lease as enforced (margin applied; already expired when none is held but required)
   * @param standbyUntilNanos until when the standby's evidence holds (last reply + max age), or empty-as-{@code null}
   * @param nowNanos        System.nanoTime()
   */
  public static Decision decide(Lease leased, Long standbyUntilNanos, long nowNanos) {
    if (!leased.granted() || !leased.expired(nowNanos)) {
      return new Decision(Verdict.SERVE_LEASED, leased, leased.granted() ? "lease valid" : "no lease needed");
    }
    if (standbyUntilNanos != null && standbyUntilNanos - nowNanos > 0) {
      return new Decision(Verdict.SERVE_FAILSAFE, Lease.until(standbyUntilNanos), "lease not renewed, but the standby"
          + " streams from this node (last reply within the failsafe age): serving on (failsafe)");
    }
    return new Decision(Verdict.FENCE, leased, "lease not renewed and no recent reply from the standby: fencing");
  }
}
