package io.pgferry.agent.core;

import io.pgferry.agent.cluster.Observation;
import io.pgferry.agent.fence.FailsafeRule;
import io.pgferry.agent.fence.Lease;
import io.pgferry.agent.fence.LeaseFile;
import io.pgferry.agent.fence.LeasePolicy;
import io.pgferry.agent.fence.LeaseTimer;
import io.pgferry.agent.fence.StandbyEvidence;
import io.pgferry.agent.state.NodeTraits;
import io.pgferry.common.FailsafeTiming;
import io.pgferry.proto.Goal;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The lease a goal comes with: as granted by the controller (reported in Status), and as the converger enforces it
 * (a margin early; already expired for a goal that needs one but holds none, when the policy requires it), extended
 * by the failsafe rule while the standby streams from this node ({@link FailsafeRule}, docs/failsafe.md). Wakes the
 * converger exactly when the enforced lease runs out. With a {@link LeaseFile} the lease and the standby's evidence
 * survive an agent restart; a primary alone (its goal, persisted with the node's state, names no standby) needs
 * neither to serve on.
 */
public final class LeaseKeeper implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LeaseKeeper.class.getName());
  private final Supplier<Goal> goal;
  /** The node serves as PRIMARY now (its persisted state), not merely holds a PRIMARY goal it has yet to reach. */
  private final BooleanSupplier servingAsPrimary;
  private final Runnable wakeConverger;
  private final LeaseTimer timer = new LeaseTimer();
  private final LeaseFile file;
  private volatile Lease granted = Lease.NONE;
  private volatile Lease enforced = Lease.NONE;
  private volatile LeasePolicy policy = LeasePolicy.DEFAULT;
  /** System.nanoTime() until which the standby's last reply proves it streams from here (null: no evidence). */
  private volatile Long standbyUntil;
  private volatile boolean failsafeLogged;
  /**
   * Until the first observation after a start, System.nanoTime() before which a PRIMARY is not fenced for want of
   * evidence it has not had the chance to read (null once observed, or without a lease file: no restart to bridge).
   */
  private volatile Long firstLookUntil;
  /** How long a restarted agent waits for its first observation before it fences on what it holds. */
  public static final Duration FIRST_LOOK = Duration.ofSeconds(3);

  /**
   * @param goal             the goal the converger holds (pending or persisted)
   * @param servingAsPrimary whether the node is PRIMARY now (a promotion still waits for a valid lease)
   * @param file             (may be null) keeps the lease and the failsafe evidence across restarts
   */
  public LeaseKeeper(Supplier<Goal> goal, BooleanSupplier servingAsPrimary, Runnable wakeConverger, LeaseFile file) {
    this.goal = goal;
    this.servingAsPrimary = servingAsPrimary;
    this.wakeConverger = wakeConverger;
    this.file = file;
    if (file != null) {
      LeaseFile.Held held = file.read(System.nanoTime(), System.currentTimeMillis());
      if (held.leaseExpiresAtNanos() != null) {
        granted = Lease.until(held.leaseExpiresAtNanos());
        enforced = granted; // persisted as enforced (margin already applied)
        LOG.info("restored the PRIMARY lease from " + LeaseFile.NAME + ": " + enforced.remainingMs(System.nanoTime()) + " ms left");
      }
      standbyUntil = held.standbyUntilNanos();
      firstLookUntil = System.nanoTime() + FIRST_LOOK.toNanos();
      rearm();
    }
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
      rearm();
      persist();
      return true;
    }
    if (!needs) {
      granted = Lease.NONE;
      enforced = Lease.NONE;
      standbyUntil = null;
      persist();
    }
    return false;
  }

  /**
   * After each observation: the standby's reply in pg_stat_replication (the goal's failsafe_standby) extends the
   * evidence. Never shortened by a look that proves nothing (a failed query): a reply that happened stays a fact.
   */
  public void onObservation(Observation o) {
    Goal g = goal.get();
    boolean primary = g != null && NodeTraits.of(g.getState()).needsLease();
    Long until = primary ? StandbyEvidence.until(o, g.getFailsafeStandby(), FailsafeTiming.STANDBY_REPLY_MAX_AGE) : null;
    Long before = standbyUntil;
    boolean newer = until != null && (before == null || until - before > 0);
    if (newer) {
      standbyUntil = until; // before the first look ends below: a decision in between must see this evidence
    }
    boolean firstLook = firstLookUntil != null;
    firstLookUntil = null;
    if (newer || (firstLook && primary)) {
      rearm();
    }
    if (newer) {
      persist(); // a restarted agent goes on with it (once a second, off the observer thread)
    }
    if (firstLook && primary) {
      wakeConverger.run(); // the first look's verdict stands from now: the converger decides on it
    }
  }

  /** As granted (Status.lease_valid, lease_remaining_ms). */
  public Lease granted() {
    return granted;
  }

  /** What the converger enforces: the lease, or while the failsafe holds, the standby's evidence. */
  public Lease enforced(long nowNanos) {
    return decision(nowNanos).enforce();
  }

  /** Whether this PRIMARY serves on its standby's evidence alone now (Status.failsafe_serving). */
  public boolean failsafe(long nowNanos) {
    return decision(nowNanos).failsafe();
  }

  private FailsafeRule.Decision decision(long nowNanos) {
    Lease l = leased(nowNanos);
    Goal g = goal.get();
    boolean primary = g != null && NodeTraits.of(g.getState()).needsLease();
    Long firstLook = firstLookUntil; // read before the evidence: onObservation writes them in the other order
    Long evidence = primary ? standbyUntil : null;
    if (primary && firstLook != null && (evidence == null || firstLook - evidence > 0)) {
      evidence = firstLook; // not fenced before the restarted agent had one look at its standby
    }
    // nobody can be promoted in its place (docs/failsafe.md); only once promoted: a promotion waits for a lease
    boolean alone = primary && g.getFailsafeStandby().isEmpty() && servingAsPrimary.getAsBoolean();
    FailsafeRule.Decision d = FailsafeRule.decide(l, alone, evidence, nowNanos);
    if (d.failsafe() != failsafeLogged) {
      failsafeLogged = d.failsafe();
      LOG.warning(d.failsafe() ? d.reason() : "failsafe over: " + d.reason());
    }
    return d;
  }

  private Lease leased(long nowNanos) {
    Lease l = enforced;
    if (!l.granted() && policy.required()) {
      Goal g = goal.get();
      if (g != null && NodeTraits.of(g.getState()).needsLease()) {
        return LeasePolicy.expiredAt(nowNanos);
      }
    }
    return l;
  }

  /** Wakes the converger when the later of the lease and the evidence runs out (each call replaces the last). */
  private void rearm() {
    Lease l = enforced;
    Long first = firstLookUntil;
    Long s = standbyUntil;
    if (first != null && (s == null || first - s > 0)) {
      s = first;
    }
    if (!l.granted() && s == null) {
      return;
    }
    long at = !l.granted() ? s : s == null ? l.expiresAtNanos() : Math.max(l.expiresAtNanos(), s);
    timer.wakeAt(at, wakeConverger);
  }

  private void persist() {
    if (file == null) {
      return;
    }
    Lease l = enforced;
    Long s = standbyUntil;
    timer.submit(() -> file.write(l.granted() ? l.expiresAtNanos() : null, s, System.nanoTime(), System.currentTimeMillis()));
  }

  @Override
  public void close() {
    timer.close();
  }
}
