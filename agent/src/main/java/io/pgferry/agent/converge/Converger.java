package io.pgferry.agent.converge;

import io.pgferry.agent.fence.Fence;
import io.pgferry.agent.fence.Lease;
import io.pgferry.agent.slots.ClusterControl;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.agent.state.NodeTraits;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.common.Backoff;
import io.pgferry.common.Secrets;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs transitions on its own worker thread, one at a time: compares the persisted state with the goal, picks the
 * row of the transition table, runs its steps (skipping those the state file records as done), and records the
 * state reached. When converged it reconciles (a standby or primary that stopped is started again). Failures are
 * reported (lastError) and retried with backoff; they never end the thread.
 */
public final class Converger implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Converger.class.getName());

  /** Called after each completed step is persisted (tests use it to stop an agent mid-transition). */
  @FunctionalInterface
  public interface StepListener {
    void afterStep(String transitionId, String step) throws InterruptedException;
  }

  private final NodeContext ctx;
  private final Decider decider;
  private final Backoff backoff;
  private final Duration reconcileEvery;
  private final StepListener stepListener;
  private final Supplier<Lease> lease;
  private final LongSupplier clock;
  private final Runnable onChange;
  private final Object wake = new Object();
  /** Held for a whole cycle, and by {@link #whileStopped}: the two never interleave. */
  private final ReentrantLock clusterLock = new ReentrantLock();
  private final AtomicReference<Goal> pendingGoal = new AtomicReference<>();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong cycles = new AtomicLong();
  private boolean wakeRequested;
  private volatile boolean waitingForLease;
  private volatile boolean closed;
  private volatile String transition = "";
  private volatile boolean running;
  private volatile String lastError = "";
  private Thread thread;
  /** A permanent error and the record it failed on: not retried while the record is the same, until untilNanos. */
  private record Parked(NodeRecord record, long untilNanos) {}
  private volatile Parked parked;
  private final Duration permanentRecheck = Duration.ofMinutes(5);

  public Converger(NodeContext ctx, TransitionTable<Transition.Factory> table, Backoff backoff, Duration reconcileEvery,
                   StepListener stepListener, Supplier<Lease> lease, LongSupplier clock, Runnable onChange) {
    this.ctx = ctx;
    this.decider = new Decider(table);
    this.backoff = backoff;
    this.reconcileEvery = reconcileEvery;
    this.stepListener = stepListener;
    this.lease = lease;
    this.clock = clock;
    this.onChange = onChange;
  }

  public synchronized void start() {
    thread = new Thread(this::loop, "pgferry-converger");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Hands over a goal from the link (an event-loop thread): it is persisted by the converger thread at the start of
   * its next cycle, before anything acts on it. Older generations than the held or pending goal are ignored.
   * Returns false when ignored.
   */
  public boolean offerGoal(Goal goal) {
    Goal held = ctx.stateFile().get().goal();
    if (held != null && goal.getGeneration() < held.getGeneration()) {
      return false;
    }
    Goal prev = pendingGoal.getAndAccumulate(goal, (old, g) -> old != null && g.getGeneration() < old.getGeneration() ? old : g);
    if (prev != null && goal.getGeneration() < prev.getGeneration()) {
      return false;
    }
    if (!goal.equals(held) || prev != null) {
      if (held == null || goal.getGeneration() != held.getGeneration()) {
        setError(""); // a new goal starts with a clean slate: the old goal's error no longer describes the node
      }
      wake();
    }
    return true;
  }

  /** The goal the node is converging to: a pending one if any, else the persisted one (null: none). */
  public Goal goal() {
    Goal p = pendingGoal.get();
    return p != null ? p : ctx.stateFile().get().goal();
  }

  private void persistPendingGoal() {
    Goal p = pendingGoal.getAndSet(null);
    if (p == null) {
      return;
    }
    NodeRecord r = ctx.stateFile().get();
    if ((r.goal() == null || p.getGeneration() >= r.goal().getGeneration()) && !p.equals(r.goal())) {
      ctx.stateFile().update(rec -> rec.withGoal(p));
      LOG.info("new goal: " + p.getState() + " (generation " + p.getGeneration() + ")");
    }
  }

  /** Whether the last cycle decided to wait for a lease before promoting: a lease granted now should wake it. */
  public boolean waitingForLease() {
    return waitingForLease;
  }

  /** Asks for a new cycle now (a new goal, a lease change). */
  public void wake() {
    synchronized (wake) {
      wakeRequested = true;
      wake.notifyAll();
    }
  }

  /** Status.transition: what runs now, or what failed last ("" when idle and converged). */
  public String transition() {
    String p = ctx.progress();
    return transition.isEmpty() || p.isEmpty() ? transition : transition + ": " + p;
  }

  public boolean transitionRunning() {
    return running;
  }

  public String lastError() {
    return lastError;
  }

  public long failures() {
    return failures.get();
  }

  /** Completed cycles (a test waits for one more before asserting that nothing happened). */
  public long cycles() {
    return cycles.get();
  }

  /**
   * Stops PostgreSQL, runs {@code action}, starts it again - between two cycles, so no transition or reconcile
   * runs meanwhile. Only on a node converged to a STREAMING_STANDBY goal that may run (never starts a fenced node,
   * nor one whose goal changed); otherwise throws and does nothing. Blocks the caller (a worker thread).
   */
  public void whileStopped(String why, ClusterControl.Action action) throws Exception {
    clusterLock.lockInterruptibly();
    try {
      NodeRecord r = ctx.stateFile().get();
      Goal p = pendingGoal.get();
      if (!r.converged() || r.state() != NodeState.STREAMING_STANDBY || !Fence.mayStart(r)
          || (p != null && !p.equals(r.goal()))) {
        throw new IllegalStateException("cannot stop PostgreSQL for " + why + ": the node is not a settled streaming standby ("
            + r.state() + (r.converged() ? "" : ", converging") + ")");
      }
      transition = why;
      LOG.info(why + ": stopping PostgreSQL");
      Transitions.stop(ctx);
      try {
        action.run();
      } finally {
        Transitions.start(ctx);
        transition = "";
        LOG.info(why + ": PostgreSQL started again");
        onChange.run();
      }
    } finally {
      clusterLock.unlock();
    }
  }

  private void loop() {
    int attempt = 0;
    while (!closed) {
      Duration wait;
      try {
        clusterLock.lockInterruptibly();
        boolean parkedNow;
        try {
          parkedNow = cycle();
        } finally {
          clusterLock.unlock();
        }
        if (parkedNow) {
          wait = Duration.ofNanos(Math.max(0, parked.untilNanos() - clock.getAsLong()));
        } else {
          if (!lastError.isEmpty()) {
            LOG.info("converged again after an error");
          }
          setError("");
          parked = null;
          attempt = 0;
          wait = reconcileEvery;
        }
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
        wait = Duration.ZERO;
      } catch (Exception | LinkageError e) {
        if (closed) {
          return;
        }
        failures.incrementAndGet();
        String msg = Secrets.redact(e.getMessage() == null ? e.toString() : e.getMessage().replaceAll("\\s+", " ").strip());
        if (ConvergeError.kindOf(e) == ConvergeError.Kind.PERMANENT) {
          parked = new Parked(ctx.stateFile().get(), clock.getAsLong() + permanentRecheck.toNanos());
          LOG.log(Level.WARNING, "transition failed (permanent: not retried until the goal changes, rechecked every "
              + permanentRecheck.toMinutes() + " min): " + msg);
          wait = permanentRecheck;
        } else {
          parked = null;
          if (!msg.equals(lastError)) {
            LOG.log(Level.WARNING, "transition failed (will retry): " + msg);
          }
          wait = backoff.delay(attempt++);
        }
        setError(msg);
      } finally {
        running = false;
        cycles.incrementAndGet();
      }
      onChange.run();
      try {
        await(wait);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void setError(String msg) {
    lastError = msg;
  }

  /** True while a permanent error holds the converger (reported once; retried when the goal or record changes). */
  public boolean blockedByPermanentError() {
    return parked != null;
  }

  private void await(Duration d) throws InterruptedException {
    long deadline = System.nanoTime() + d.toNanos();
    synchronized (wake) {
      while (!wakeRequested && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        wake.wait(Math.max(1, left / 1_000_000));
      }
      wakeRequested = false;
    }
  }

  /** One cycle: decide, then carry the decision out. Returns true when a permanent error still holds (nothing ran). */
  private boolean cycle() throws Exception {
    persistPendingGoal();
    NodeRecord r = ctx.stateFile().get();
    Lease held = lease.get(); // before the clock: "no lease" is a lease that expired just before it was asked for
    long now = clock.getAsLong();
    Decision d = decider.decide(r, held, now);
    waitingForLease = false;
    Parked p = parked;
    if (d.acts() && p != null && p.record().equals(r) && now - p.untilNanos() < 0) {
      return true;
    }
    switch (d.kind()) {
      case FENCE_LEASE_LOST -> {
        LOG.warning("the PRIMARY lease is about to expire (or none is held): fencing (stopping PostgreSQL) until it is renewed or a new goal arrives");
        transition = "fencing: lease expiring";
        Fence.ensureFenced(ctx.pgCtl());
        ctx.stateFile().update(rec -> rec.fenced(rec.goalGeneration()));
      }
      case NO_GOAL -> transition = "";
      case LIFT_FENCE -> {
        LOG.info(d.sentence());
        ctx.stateFile().update(Fence::lift);
        wake();
      }
      case STAY_FENCED -> {
        transition = d.sentence();
        Fence.ensureFenced(ctx.pgCtl());
      }
      case RECONCILE -> {
        transition = "";
        reconcile(d.traits());
      }
      case WAIT_FOR_LEASE -> {
        transition = d.sentence();
        waitingForLease = true; // the next lease wakes this converger (NodeAgent.onAssignment), not the 5 s reconcile
      }
      case NO_TRANSITION -> throw ConvergeError.permanent(d.sentence());
      case TRANSITION -> run(r, d);
    }
    return false;
  }

  private void run(NodeRecord r, Decision d) throws Exception {
    Goal goal = d.goal();
    String id = r.state() + "->" + goal.getState() + "@" + goal.getGeneration();
    running = true;
    Transition t = d.row().transition().create(goal, ctx);
    transition = t.describe();
    ctx.progress("");
    onChange.run();
    List<String> done = r.completedStepsOf(id);
    for (Step step : t.steps()) {
      if (done.contains(step.name())) {
        continue;
      }
      ctx.progress(step.name());
      if (step.ensure(ctx)) {
        ctx.stepActed(goal.getState() + "/" + step.name());
        LOG.info(t.describe() + ": " + step.name() + " done");
      }
      ctx.stateFile().update(rec -> rec.withStepDone(id, step.name()));
      stepListener.afterStep(id, step.name());
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedException();
      }
    }
    ctx.stateFile().update(rec -> rec.reached(goal.getState(), goal.getGeneration()));
    LOG.info("reached " + goal.getState() + " (goal generation " + goal.getGeneration() + ")");
    ctx.progress("");
    transition = "";
  }

  /** Converged: keep it so (a stopped standby/primary is started again, a stopped/fenced node kept down). */
  private void reconcile(NodeTraits traits) throws Exception {
    if (traits.pgRuns()) {
      if (!ctx.pgCtl().isRunning()) {
        transition = "restarting PostgreSQL (found it stopped)";
        Transitions.start(ctx);
        transition = "";
      }
    } else if (traits.keepDown()) {
      if (traits.state() == NodeState.FENCED) {
        Fence.ensureFenced(ctx.pgCtl());
      } else {
        Transitions.stop(ctx);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
