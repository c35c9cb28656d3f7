package io.pgferry.agent.core;

import io.pgferry.agent.fence.Lease;
import io.pgferry.agent.fence.LeasePolicy;
import io.pgferry.agent.fence.LeaseTimer;
import io.pgferry.agent.state.NodeTraits;
import io.pgferry.proto.Goal;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The lease a goal comes with: as granted by the controller (reported in Status), and as the converger enforces it
 * (a margin early; already expired for a goal that needs one but holds none, when the policy requires it). Wakes the
 * converger exactly when the enforced lease runs out.
 */
public final class LeaseKeeper implements AutoCloseable {
  private final Supplier<Goal> goal;
  private final Runnable wakeConverger;
  private final LeaseTimer timer = new LeaseTimer();
  private volatile Lease granted = Lease.NONE;
  private volatile Lease enforced = Lease.NONE;
  private volatile LeasePolicy policy = LeasePolicy.DEFAULT;

  /** @param goal the goal the converger holds (pending or persisted) */
  public LeaseKeeper(Supplier<Goal> goal, Runnable wakeConverger) {
    this.goal = goal;
    this.wakeConverger = wakeConverger;
  }

  /** When to fence (see {@link LeasePolicy}). */
  public void policy(LeasePolicy policy) {
    this.policy = Objects.requireNonNull(policy);
  }

  /**
   * A goal arrived: a goal that needs a lease and carries one renews it (same generation: a renewal, not a new
   * transition); a goal that needs none drops it. Returns true when a lease was granted or renewed.
   */
  public boolean onGoal(Goal g, OptionalLong expiresAtNanos, long nowNanos) {
    boolean needs = NodeTraits.of(g.getState()).needsLease();
    if (needs && expiresAtNanos.isPresent()) {
      granted = Lease.until(expiresAtNanos.getAsLong());
      enforced = policy.enforced(granted, nowNanos);
      timer.wakeAt(enforced.expiresAtNanos(), wakeConverger);
      return true;
    }
    if (!needs) {
      granted = Lease.NONE;
      enforced = Lease.NONE;
    }
    return false;
  }

  /** As granted (Status.lease_valid, lease_remaining_ms). */
  public Lease granted() {
    return granted;
  }

  /** What the converger enforces. */
  public Lease enforced(long nowNanos) {
    Lease l = enforced;
    if (!l.granted() && policy.required()) {
      Goal g = goal.get();
      if (g != null && NodeTraits.of(g.getState()).needsLease()) {
        return LeasePolicy.expiredAt(nowNanos);
      }
    }
    return l;
  }

  @Override
  public void close() {
    timer.close();
  }
}
