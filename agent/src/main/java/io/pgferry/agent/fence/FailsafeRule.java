package io.pgferry.agent.fence;

/**
 * Issue #17 item 5 as one pure function: a PRIMARY fences itself only when it can reach neither the controller (its
 * lease is renewed) nor its standby (the standby the controller would promote streams from it, replying recently),
 * and only when such a standby exists. While that standby streams from this node the controller cannot promote it
 * (docs/failsafe.md), so serving on is safe; once its replies stop, the evidence ages out and this node fences before
 * the controller's failsafe window ends. A PRIMARY whose goal names no standby (the one left after a failover) has
 * nobody the controller could promote in its place (it promotes only the standby a primary's goal named, and that
 * primary acknowledged it): it serves on. The result is the lease to enforce: the granted one while valid, none for a
 * primary alone, else one that lasts as long as the evidence.
 */
public final class FailsafeRule {
  private FailsafeRule() {}

  public enum Verdict {
    /** The controller renewed the lease: serve. */
    SERVE_LEASED,
    /** The lease ran out, but no standby could be promoted in this node's place: serve. */
    SERVE_ALONE,
    /** The lease ran out, but the standby streams from this node: serve until its evidence ages out. */
    SERVE_FAILSAFE,
    /** Neither: stop PostgreSQL. */
    FENCE
  }

  /** The decision, the lease the converger enforces for it, and a sentence for logs and Status. */
  public record Decision(Verdict verdict, Lease enforce, String reason) {
    /** Serving with a lease that was not renewed (Status.failsafe_serving). */
    public boolean failsafe() {
      return verdict == Verdict.SERVE_FAILSAFE || verdict == Verdict.SERVE_ALONE;
    }
  }

  /**
   * @param leased            the lease as enforced (margin applied; already expired when none is held but required)
   * @param alone             this node serves as PRIMARY under a goal that names no standby (Goal.failsafe_standby
   *                          empty): no node can be promoted in its place
   * @param standbyUntilNanos until when the standby's evidence holds (last reply + max age), or {@code null}
   * @param nowNanos          System.nanoTime()
   */
  public static Decision decide(Lease leased, boolean alone, Long standbyUntilNanos, long nowNanos) {
    if (!leased.granted() || !leased.expired(nowNanos)) {
      return new Decision(Verdict.SERVE_LEASED, leased, leased.granted() ? "lease valid" : "no lease needed");
    }
    if (alone) {
      return new Decision(Verdict.SERVE_ALONE, Lease.NONE, "lease not renewed, but this primary's goal names no"
          + " standby: no node can be promoted in its place, serving on (failsafe, alone)");
    }
    if (standbyUntilNanos != null && standbyUntilNanos - nowNanos > 0) {
      return new Decision(Verdict.SERVE_FAILSAFE, Lease.until(standbyUntilNanos), "lease not renewed, but the standby"
          + " streams from this node (last reply within the failsafe age): serving on (failsafe)");
    }
    return new Decision(Verdict.FENCE, leased, "lease not renewed and no recent reply from the standby: fencing");
  }
}
