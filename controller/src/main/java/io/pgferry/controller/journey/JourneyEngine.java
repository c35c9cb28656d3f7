package io.pgferry.controller.journey;

import io.pgferry.common.Secrets;
import io.pgferry.common.pg.PgConnections;
import io.pgferry.controller.journey.JournalRecord.Event;
import io.pgferry.controller.plan.Plan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Runs the journey: phase by phase as the {@link JourneyTable} says, one step at a time, each recorded in the
 * {@link Journal} before and after. Call {@link #run} on a worker thread (never an event loop); it returns when the
 * journey finishes, fails, is aborted, or reaches a phase this build has no steps for.
 *
 * <p>Rules: a step recorded done is never run again. A step recorded started but not done is re-run when it is
 * idempotent; otherwise its {@link Step#check} decides (done: record it; not done: run it; unknown: stop for a
 * person). An abort is honoured at step boundaries and inside waits, except between a phase's point of no return
 * and its end. A failure or abort before the point of no return runs the phase's undo steps.
 */
public final class JourneyEngine {
  /** HELD: waiting before a cutover for `pgferry proceed` (the engine runs on: an abort or a failover ends the hold). */
  public enum State { IDLE, RUNNING, HELD, WAITING, STOPPED, FAILED, FINISHED }

  /** What the engine is doing now, for `pgferry status`. */
  public record Snapshot(State state, Phase phase, String step, String progress, String message) {}

  private final Plan plan;
  private final String planFingerprint;
  private final Map<String, Step> steps;
  private final JournalStore journal;
  private final JourneyPorts ports;
  private final Clock clock;
  private final JourneyListener listener;
  private final AtomicBoolean abortRequested = new AtomicBoolean();
  /** Why the engine was asked to stop when the journey goes on at once in another engine (failover, rebuild). */
  private volatile String handOver;
  private volatile Snapshot snapshot = new Snapshot(State.IDLE, null, null, null, null);
  private volatile Map<Phase, HoldProbe> holdProbes = Map.of();
  private final Object holdLock = new Object();
  /** How often a held engine looks for `pgferry proceed` (and an abort), and how often it reads the lag. */
  static final Duration HOLD_POLL = Duration.ofMillis(250);
  static final Duration HOLD_LAG_EVERY = Duration.ofSeconds(5);

  public JourneyEngine(Plan plan, String planText, Map<String, Step> steps, JournalStore journal, JourneyPorts ports,
                       Clock clock, JourneyListener listener) {
    this.plan = plan;
    this.planFingerprint = sha256(planText);
    this.steps = Map.copyOf(steps);
    this.journal = journal;
    this.ports = ports;
    this.clock = clock;
    this.listener = listener;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /**
   * Called once a proceed is journaled: a hold it ends is left at once (the snapshot says RUNNING before this
   * returns, so a CLI following the journey does not see the old hold).
   */
  public void proceedRecorded() {
    synchronized (holdLock) {
      Snapshot s = snapshot;
      if (s.state() == State.HELD && !journal.state().holdsBefore(s.phase(), clock.instant())) {
        snapshot = new Snapshot(State.RUNNING, s.phase(), null, null, "proceeding with " + s.phase());
      }
      holdLock.notifyAll();
    }
  }

  /** Lag probes shown while the journey holds before a cutover (by phase); none: no lag line. */
  public JourneyEngine withHoldProbes(Map<Phase, HoldProbe> probes) {
    this.holdProbes = Map.copyOf(probes);
    return this;
  }

  /** What {@code phase} will do, step by step (shown while the journey holds before it). */
  public String describe(Phase phase) {
    return PlanRenderer.renderPhase(phase, steps);
  }

  /**
   * Like {@link #requestAbort}, for a decision that runs the journey on at once from where this engine stops (a
   * failover, a rebuild): the stop is recorded as a hand-over, not as an abort waiting for `pgferry resume`.
   */
  public void requestHandOver(String why) {
    handOver = why;
    requestAbort();
  }

  /** Asks the engine to stop at the next safe point. Returns at once; {@link #run} says where it stopped. */
  public void requestAbort() {
    if (abortRequested.compareAndSet(false, true)) {
      record(Event.ABORT_REQUESTED, snapshot.phase(), snapshot.step(), "abort requested", Map.of());
    }
    synchronized (holdLock) {
      holdLock.notifyAll(); // a hold ends at once
    }
  }

  /**
   * Records a failover decision and, when the journey stands where FAILOVER is reachable (after cutover 1, before
   * the app is on T) and no failover was entered before, enters FAILOVER: the next {@link #run} runs its steps.
   * Returns whether FAILOVER was entered. Call only while the engine is not running.
   */
  public synchronized boolean enterFailover(String reason, Map<String, String> evidence) {
    JournalState st = journal.state();
    Optional<Phase> at = effectivePhase(st);
    record(Event.DECISION, at.orElse(null), null, reason, evidence);
    if (at.isEmpty() || !JourneyTable.failoverReachableFrom(at.get()) || st.phaseStartedAt(Phase.FAILOVER).isPresent()) {
      return false;
    }
    PhaseRule standing = JourneyTable.rule(at.get());
    if (standing.onPrimaryLoss().closed(standing, st)) {
      record(Event.DECISION, at.get(), null, "no failover: " + at.get() + " passed its point of no return ("
          + standing.pointOfNoReturn().orElseThrow() + "); the app's way is to the target", Map.of());
      return false;
    }
    List<PhaseRule> rules = JourneyTable.rules();
    for (int i = rules.size() - 1; i >= 0; i--) { // latest phase first, as the journal has always had it
      PhaseRule r = rules.get(i);
      if (r.afterFailover().resets(r.phase(), st)) {
        record(Event.PHASE_RESET, r.phase(), null, failoverResetMessage(r), Map.of());
      }
    }
    record(Event.PHASE_STARTED, Phase.FAILOVER, null, reason, evidence);
    return true;
  }

  /** What a failover does to a phase already entered, in the journal's words (the table's afterFailover column). */
  private static String failoverResetMessage(PhaseRule r) {
    return switch (r.afterFailover()) {
      // steps done on A (block, fence, verify, sequences) mean nothing on B: the phase starts over once B serves
      case STARTS_OVER -> "failover during " + r.phase() + ": it runs again from its start on the new primary";
      // T must catch up from B before the next phase may begin
      case AGAIN_IF_DONE -> "failover: " + r.phase() + " is waited for again, now from the new primary";
      case KEPT -> throw new IllegalStateException(r.phase() + " is kept by a failover");
    };
  }

  /**
   * Records the loss of node {@code nodeId} before cutover 1 and, when the journey stands where that can be mended
   * (ARCHIVE_REPLICA up to CUTOVER_1 before A is told to promote, and no half-undone cutover 1), sends the journey
   * back to the phase that builds the node: that phase and the later ones run again, and the node's goal carries
   * rebuild from now on. Returns whether it did. Call only while the engine is not running.
   */
  public synchronized boolean enterRebuild(String nodeId, String reason, Map<String, String> evidence) {
    JournalState st = journal.state();
    Optional<Phase> at = effectivePhase(st);
    record(Event.DECISION, at.orElse(null), null, reason, evidence);
    if (at.isEmpty() || !JourneyTable.rebuildReachableFrom(at.get(), st)) {
      return false;
    }
    PhaseRule standing = JourneyTable.rule(at.get()); // a cutover with an undo: cutover 1, before its promotion
    if (standing.hasUndo()
        && Stream.concat(standing.steps().stream(), standing.undoSteps().stream()).anyMatch(s -> st.step(s).starts() > 0)) {
      record(Event.DECISION, at.get(), null, "no rebuild yet: " + at.get() + " is not undone (`pgferry resume` finishes"
          + " its undo first)", Map.of());
      return false;
    }
    Phase from = JourneyTable.buildingPhase(plan.nodes().archiveReplica().equals(nodeId));
    for (Phase p : JourneyTable.rebuiltPhases()) {
      if (p.compareTo(from) >= 0 && st.phaseStartedAt(p).isPresent()) {
        record(Event.PHASE_RESET, p, null, nodeId + " lost: " + p + " runs again once it is rebuilt", Map.of());
      }
    }
    record(Event.REBUILD_REQUESTED, from, null, nodeId + "'s goal carries rebuild: a broken data dir is discarded and"
        + " copied afresh", Map.of("node", nodeId));
    record(Event.PHASE_STARTED, from, null, "back to " + from + " to rebuild " + nodeId, evidence);
    return true;
  }

  /** Appends a decision (evidence included) to the journal. */
  public void decision(String message, Map<String, String> evidence) {
    record(Event.DECISION, journal.state().phase().orElse(null), null, message, evidence);
  }

  /** The phase the journey stands in: the last entered, or the next one when that is done. */
  public static Optional<Phase> effectivePhase(JournalState st) {
    Optional<Phase> p = st.phase();
    while (p.isPresent() && st.phaseDone(p.get()) && p.get() != Phase.DONE) {
      Phase next = JourneyTable.next(p.get(), st);
      p = Optional.of(next);
    }
    return p;
  }

  public Snapshot run() {
    try {
      return runPhases();
    } catch (JournalLost e) {
      return undoWithoutJournal(e.getMessage());
    } catch (StoreSuperseded e) {
      // another controller leads now and decides from the journal: nothing more, not even an undo, is done here
      Logger.getLogger(JourneyEngine.class.getName()).warning("journey handed over: " + e.getMessage());
      return set(State.STOPPED, snapshot.phase(), snapshot.step(), "handed over: " + e.getMessage());
    } catch (RuntimeException e) {
      // e.g. the journal cannot be written: stop here, nothing more may be done without a record of it
      Logger.getLogger(JourneyEngine.class.getName())
          .log(Level.SEVERE, "journey stopped by an internal error", e);
      return set(State.FAILED, snapshot.phase(), snapshot.step(), "stopped by an internal error: " + message(e)
          + "; fix it and `pgferry resume`");
    }
  }

  /**
   * `pgferry finish`: once the journey is finished, runs {@link JourneyTable#FINISH}'s steps (each journaled; done
   * ones are skipped) and records DECOMMISSIONED. Call on a worker thread.
   */
  public Snapshot finish() {
    try {
      JournalState st = journal.state();
      if (!st.finished()) {
        return set(State.FAILED, st.phase().orElse(null), null, "the journey is not finished; `pgferry finish`"
            + " decommissions only after DONE");
      }
      if (!steps.keySet().containsAll(JourneyTable.FINISH.steps())) {
        return set(State.FAILED, Phase.DONE, null, "this plan has no logical: block, so there is nothing `pgferry"
            + " finish` knows how to decommission");
      }
      Optional<Snapshot> stopped = runSteps(JourneyTable.FINISH);
      if (stopped.isPresent()) {
        return stopped.get();
      }
      String msg = "decommissioned: " + JourneyTable.FINISH.exitCondition();
      if (journal.state().decommissionedAt().isEmpty()) {
        record(Event.DECOMMISSIONED, Phase.DONE, null, msg, Map.of());
      }
      return set(State.FINISHED, Phase.DONE, null, msg);
    } catch (RuntimeException e) {
      Logger.getLogger(JourneyEngine.class.getName()).log(Level.SEVERE, "finish stopped by an internal error", e);
      return set(State.FAILED, Phase.DONE, snapshot.step(), "stopped by an internal error: " + message(e));
    }
  }

  private Snapshot runPhases() {
    JournalState st = journal.state();
    if (st.finished()) {
      return set(State.FINISHED, null, null, "the journey is finished");
    }
    Optional<String> earlier = st.planFingerprint();
    if (earlier.isPresent() && !earlier.get().equals(planFingerprint)) {
      return set(State.FAILED, st.phase().orElse(null), null, "the plan changed since the journey started (sha256 "
          + earlier.get().substring(0, 12) + " -> " + planFingerprint.substring(0, 12) + "); resume with the same plan");
    }
    record(Event.JOURNEY_STARTED, null, null, st.started() ? "resumed" : "started",
        Map.of("plan_sha256", planFingerprint));
    Optional<Phase> unrecorded = journal.unrecordedUndo();
    if (unrecorded.isPresent()) {
      return recordUnrecordedUndo(JourneyTable.rule(unrecorded.get()));
    }
    Phase phase = st.phase().orElse(Phase.PREFLIGHT);
    while (true) {
      PhaseRule rule = JourneyTable.rule(phase);
      st = journal.state();
      if (st.phaseDone(phase)) {
        if (phase == Phase.DONE) {
          record(Event.JOURNEY_FINISHED, phase, null, "the journey is finished", Map.of());
          return set(State.FINISHED, phase, null, "the journey is finished");
        }
        phase = JourneyTable.next(phase, journal.state());
        continue;
      }
      if ((rule.steps().isEmpty() || !steps.keySet().containsAll(rule.steps())) && phase != Phase.DONE) {
        String msg = "reached " + phase + ", which this build of pgferry cannot run yet (or the plan lacks its settings:"
            + " the logical phases need logical.replication_password: add the logical: block with `pgferry apply --amend"
            + " plan.yaml`); the journey waits here and `pgferry resume` continues once it can";
        record(Event.JOURNEY_STOPPED, phase, null, msg, Map.of("reason", "phase_not_built"));
        return set(State.WAITING, phase, null, msg);
      }
      Optional<Snapshot> held = holdBefore(phase);
      if (held.isPresent()) {
        return held.get();
      }
      if (!journal.state().phase().equals(Optional.of(phase))) {
        record(Event.PHASE_STARTED, phase, null, rule.entryCheck(), Map.of());
      }
      if (rule.undoSteps().stream().anyMatch(u -> journal.state().step(u).starts() > 0)) {
        // a restart in the middle of an undo, or an undo left incomplete: finish undoing before anything else
        JournalState now = journal.state();
        boolean incomplete = rule.undoSteps().stream().anyMatch(u -> now.step(u).lastError() != null);
        return undoAndStop(rule, incomplete ? "finishing the undo of " + phase + " left incomplete"
            : "the controller restarted while undoing " + phase, State.FAILED);
      }
      Optional<Snapshot> stopped = runSteps(rule);
      if (stopped.isPresent()) {
        return stopped.get();
      }
      record(Event.PHASE_DONE, phase, null, rule.exitCondition(), Map.of());
      if (phase == Phase.DONE) {
        continue;
      }
      phase = JourneyTable.next(phase, journal.state());
    }
  }

  /**
   * Waits before a held cutover until `pgferry proceed` (recorded in the journal, so a restarted controller holds
   * again, and a proceed --at survives it) has come due. Empty: go on into the phase. An abort or a hand-over
   * (failover, rebuild) ends the hold with the engine stopped; nothing of the phase was done.
   */
  private Optional<Snapshot> holdBefore(Phase phase) {
    Instant lagReadAt = null;
    String lag = null;
    while (true) {
      JournalState st = journal.state();
      Instant now = clock.instant();
      if (!st.holdsBefore(phase, now)) {
        return Optional.empty();
      }
      Optional<Instant> proceedAt = st.proceedAt(phase);
      if (st.heldSince(phase).isEmpty()) {
        record(Event.HOLD_REACHED, phase, null, "held before " + phase + ": `pgferry proceed` starts it", Map.of());
      }
      if (abortRequested.get()) {
        String msg = handOver == null ? "aborted while held before " + phase + "; `pgferry resume` holds there again"
            : "stopped in " + phase + " while held before it for " + handOver;
        record(Event.JOURNEY_STOPPED, phase, null, msg, Map.of("reason", "aborted"));
        return Optional.of(set(State.STOPPED, phase, null, msg));
      }
      HoldProbe probe = holdProbes.get(phase);
      if (probe != null && (lagReadAt == null || Duration.between(lagReadAt, now).compareTo(HOLD_LAG_EVERY) >= 0)) {
        lagReadAt = now;
        try {
          lag = probe.lag(context(phase, null));
        } catch (Exception e) {
          lag = "unknown (" + message(e) + ")";
        }
      }
      String msg = proceedAt.map(at -> "held before " + phase + " until " + at + " (`pgferry proceed --at`); `pgferry"
              + " proceed` starts it now")
          .orElse("held before " + phase + " — run `pgferry proceed` (or `pgferry proceed --at TIME`)");
      Duration nap = proceedAt.map(at -> Duration.between(now, at)).filter(d -> d.compareTo(HOLD_POLL) < 0)
          .orElse(HOLD_POLL);
      try {
        synchronized (holdLock) {
          // checked again under the lock: a proceed recorded meanwhile is not hidden behind a HELD snapshot
          if (!journal.state().holdsBefore(phase, clock.instant())) {
            continue;
          }
          snapshot = new Snapshot(State.HELD, phase, null, lag == null ? null : "lag: " + lag, msg);
          holdLock.wait(Math.max(1, nap.toMillis()));
        }
      } catch (InterruptedException e) {
        String stop = "the controller stopped while the journey was held before " + phase + "; it holds there again"
            + " when resumed";
        record(Event.JOURNEY_STOPPED, phase, null, stop, Map.of("reason", "shutdown"));
        Thread.currentThread().interrupt();
        return Optional.of(set(State.STOPPED, phase, null, stop));
      }
    }
  }

  private Optional<Snapshot> runSteps(PhaseRule rule) {
    Phase phase = rule.phase();
    for (String id : rule.steps()) {
      JournalState st = journal.state();
      if (st.isDone(id)) {
        continue;
      }
      if (abortRequested.get() && abortable(rule)) {
        return Optional.of(abort(rule, id));
      }
      Step step = steps.get(id);
      if (step == null) {
        throw new IllegalStateException("no step " + id + " in this build");
      }
      set(State.RUNNING, phase, id, "running " + id);
      if (st.step(id).starts() > 0 && !step.idempotent()) {
        StepCheck check;
        try {
          check = step.check(context(phase, id));
        } catch (Exception e) {
          check = new StepCheck.Unknown(message(e));
        }
        if (check instanceof StepCheck.Done done) {
          record(Event.STEP_DONE, phase, id, done.summary() + " (found done after a restart)", done.evidence());
          continue;
        }
        if (check instanceof StepCheck.Unknown unknown && undoNeeded(rule)) {
          // before the point of no return undoing is safe and frees the app and the fenced database at once
          return Optional.of(undoAndStop(rule, "step " + id + " was started before a restart and it is not known"
              + " whether it took effect (" + unknown.reason() + ")", State.FAILED));
        }
        if (check instanceof StepCheck.Unknown unknown) {
          String msg = "step " + id + " was started before a restart and it is not known whether it took effect ("
              + unknown.reason() + "); it is not safe to repeat it: check by hand, then `pgferry resume`";
          record(Event.JOURNEY_STOPPED, phase, id, msg, Map.of("reason", "unknown_effect"));
          return Optional.of(set(State.FAILED, phase, id, msg));
        }
      }
      record(Event.STEP_STARTED, phase, id, null, Map.of());
      try {
        StepResult result = step.run(context(phase, id));
        record(Event.STEP_DONE, phase, id, result.summary(), result.evidence());
      } catch (AbortedException e) {
        record(Event.STEP_INTERRUPTED, phase, id, e.getMessage(), Map.of());
        return Optional.of(abort(rule, id));
      } catch (InterruptedException e) {
        return Optional.of(stoppedBy(phase, id));
      } catch (Exception e) {
        if (Thread.currentThread().isInterrupted()) {
          // a port that cannot throw InterruptedException (a switcher) failed because the controller is stopping
          return Optional.of(stoppedBy(phase, id));
        }
        String msg = message(e);
        record(Event.STEP_FAILED, phase, id, msg, Map.of());
        return Optional.of(fail(rule, id, msg));
      }
    }
    return Optional.empty();
  }

  /**
   * Once the point-of-no-return step has started, the phase must be finished (cutover 1: once A was told to
   * promote, going back to the source could split the writes; the app is repointed and unblocked instead).
   */
  private boolean abortable(PhaseRule rule) {
    return rule.pointOfNoReturn().map(p -> journal.state().step(p).starts() == 0).orElse(true);
  }

  private boolean undoNeeded(PhaseRule rule) {
    JournalState st = journal.state();
    return rule.hasUndo() && abortable(rule) && rule.steps().stream().anyMatch(s -> st.step(s).starts() > 0);
  }

  private Snapshot abort(PhaseRule rule, String atStep) {
    String where = (handOver == null ? "aborted in " : "stopped in ") + rule.phase() + " before " + atStep
        + (handOver == null ? "" : " for " + handOver);
    if (undoNeeded(rule)) {
      return undoAndStop(rule, where, State.STOPPED);
    }
    String msg = where + "; steps done stay done (" + doneSteps(rule) + ")"
        + (handOver == null ? "; `pgferry resume` continues from " + atStep : "");
    record(Event.JOURNEY_STOPPED, rule.phase(), atStep, msg, Map.of("reason", "aborted"));
    return set(State.STOPPED, rule.phase(), atStep, msg);
  }

  private Snapshot stoppedBy(Phase phase, String id) {
    record(Event.STEP_INTERRUPTED, phase, id, "the controller is shutting down", Map.of());
    String msg = "the controller stopped during " + id + "; `pgferry resume` continues (or `pgferry abort`)";
    record(Event.JOURNEY_STOPPED, phase, id, msg, Map.of("reason", "shutdown"));
    Thread.currentThread().interrupt();
    return set(State.STOPPED, phase, id, msg);
  }

  private Snapshot fail(PhaseRule rule, String atStep, String error) {
    String where = rule.phase() + " failed at " + atStep + ": " + error;
    if (undoNeeded(rule)) {
      return undoAndStop(rule, where, State.FAILED);
    }
    String after = rule.noWayBack().filter(s -> journal.state().step(rule.pointOfNoReturn().orElseThrow()).starts() > 0)
        .map(s -> "; " + s)
        .orElse("; fix the cause and `pgferry " + (rule == JourneyTable.FINISH ? "finish" : "resume") + "` retries "
            + atStep);
    String msg = where + after;
    record(Event.JOURNEY_STOPPED, rule.phase(), atStep, msg, Map.of("reason", "failed"));
    return set(State.FAILED, rule.phase(), atStep, msg);
  }

  /**
   * Runs the phase's pending undo steps in the table's order, each once, then stops. A failed undo step does not hold
   * up the next: cutover 2's lift of A's fence gets one attempt, bounded by the fence's session timeouts, and the app
   * is unblocked after it either way, so a silent A keeps the app blocked no longer than those bounds. That unblock is
   * safe because every repoint of the app comes after its phase's point of no return: the app goes back to where it
   * pointed before the phase, and a fence left there makes its writes fail at once as read-only instead of hanging.
   * The table's {@code ifUndoFails} says what stays and what mends it: `pgferry resume` (or `abort`) runs the failed
   * undo steps again, and only those.
   */
  private Snapshot undoAndStop(PhaseRule rule, String why, State state) {
    StringBuilder failures = new StringBuilder();
    List<String> leftOver = new ArrayList<>();
    for (String id : pendingUndoSteps(rule)) {
      Step undo = steps.get(id);
      set(state, rule.phase(), id, "undoing: " + id);
      record(Event.STEP_STARTED, rule.phase(), id, null, Map.of());
      try {
        StepResult r = undo.run(context(rule.phase(), id));
        record(Event.STEP_DONE, rule.phase(), id, r.summary(), r.evidence());
      } catch (Exception e) {
        failures.append("; undo step ").append(id).append(" failed: ").append(message(e));
        leftOver.add(rule.ifUndoFails().get(id));
        record(Event.STEP_FAILED, rule.phase(), id, message(e), Map.of());
      }
    }
    if (failures.length() > 0) {
      String msg = why + failures + "; undo incomplete: " + String.join("; ", leftOver)
          + " (resume, or abort, runs only the failed undo steps, then stops)";
      record(Event.JOURNEY_STOPPED, rule.phase(), null, msg, Map.of("reason", "undo_failed"));
      return set(State.FAILED, rule.phase(), null, msg);
    }
    record(Event.PHASE_RESET, rule.phase(), null, "undone: " + rule.undoMeaning(), Map.of());
    String msg = why + "; undone: " + rule.undoMeaning()
        + (handOver == null ? "; `pgferry resume` starts " + rule.phase() + " again" : "");
    record(Event.JOURNEY_STOPPED, rule.phase(), null, msg, Map.of("reason", state == State.STOPPED ? "aborted" : "failed"));
    return set(state, rule.phase(), null, msg);
  }

  /**
   * The journal cannot be written (a full disk, an I/O error): nothing more may be done without a record of it. In a
   * phase that can still be undone (a cutover before its point of no return) the undo steps run first, unrecorded,
   * so the app is not left blocked and the old primary fenced while a person frees the disk.
   */
  private Snapshot undoWithoutJournal(String why) {
    Logger log = Logger.getLogger(JourneyEngine.class.getName());
    Phase phase = snapshot.phase();
    PhaseRule rule = phase == null ? null : JourneyTable.rule(phase);
    if (rule == null || !undoNeeded(rule)) {
      String past = rule == null ? "" : rule.noWayBack().filter(s -> rule.pointOfNoReturn()
          .map(p -> journal.state().step(p).starts() > 0).orElse(false)).map(s -> "; " + s).orElse("");
      String msg = "stopped: " + why + "; free the disk and `pgferry resume`" + past;
      log.severe(msg);
      return set(State.FAILED, phase, snapshot.step(), msg);
    }
    StringBuilder failures = new StringBuilder();
    for (String id : pendingUndoSteps(rule)) {
      set(State.FAILED, phase, id, "undoing without a journal: " + id);
      try {
        StepResult r = steps.get(id).run(context(phase, id));
        log.warning("journal unwritable: " + id + " done without a record: " + Secrets.redact(r.summary()));
      } catch (Exception e) {
        failures.append("; undo step ").append(id).append(" failed: ").append(message(e));
      }
    }
    boolean noted = journal.noteUnrecordedUndo(phase);
    String msg = "stopped in " + phase + ": " + why + "; " + (failures.length() > 0 ? "undo incomplete" + failures
        : "undone: " + rule.undoMeaning()) + ". The journal does not show this undo yet: free the disk, then "
        + (noted ? "`pgferry resume` (or `abort`) records it first" : "`pgferry abort` records it (never `resume` first:"
        + " the journal still shows the app blocked)") + "; then `pgferry resume` starts " + phase + " again";
    log.severe(msg);
    return set(State.FAILED, phase, null, msg);
  }

  /**
   * The undo of {@code rule}'s phase ran while the journal could not be written: record it (the undo steps are
   * idempotent and run again) before anything else, then stop.
   */
  private Snapshot recordUnrecordedUndo(PhaseRule rule) {
    Snapshot s = undoNeeded(rule)
        ? undoAndStop(rule, "the undo of " + rule.phase() + " done while the journal could not be written is recorded",
            State.STOPPED)
        : set(State.STOPPED, rule.phase(), null, "the undo of " + rule.phase() + " done while the journal could not be"
            + " written needs no record; `pgferry resume` continues");
    try {
      journal.clearUnrecordedUndo();
    } catch (IOException e) {
      throw new JournalLost("cannot remove the note of an unrecorded undo: " + e.getMessage(), e);
    }
    return s;
  }

  /** The journal refused a record: the engine must stop (see {@link #undoWithoutJournal}). */
  private static final class JournalLost extends RuntimeException {
    JournalLost(String message, IOException cause) {
      super(message, cause);
    }
  }

  /** The undo steps still to run: not done already, and what each undoes was started. */
  private List<String> pendingUndoSteps(PhaseRule rule) {
    JournalState st = journal.state();
    return rule.undoSteps().stream().filter(id -> !st.isDone(id)
        && (rule.undoes().get(id) == null || st.step(rule.undoes().get(id)).starts() > 0)).toList();
  }

  private String doneSteps(PhaseRule rule) {
    JournalState st = journal.state();
    List<String> done = rule.steps().stream().filter(st::isDone).toList();
    return done.isEmpty() ? "none in this phase" : String.join(", ", done);
  }

  private StepContext context(Phase phase, String stepId) {
    return new StepContext() {
      @Override
      public Plan plan() {
        return plan;
      }

      @Override
      public JourneyPorts ports() {
        return ports;
      }

      @Override
      public Clock clock() {
        return clock;
      }

      @Override
      public Instant stepStartedAt() {
        Instant at = journal.state().step(stepId).firstStartedAt();
        return at == null ? clock.instant() : at;
      }

      @Override
      public Optional<Instant> stepDoneAt(String other) {
        return Optional.ofNullable(journal.state().step(other).doneAt());
      }

      @Override
      public Map<String, String> evidenceOf(String other) {
        return journal.state().step(other).evidence();
      }

      @Override
      public boolean rebuildRequested(String nodeId) {
        return journal.state().rebuildRequested(nodeId);
      }

      @Override
      public void progress(String line) {
        String shown = Secrets.redact(line);
        snapshot = new Snapshot(snapshot.state(), phase, stepId, shown, snapshot.message());
        listener.onProgress(phase, stepId, shown);
      }

      @Override
      public void warn(String line) {
        progress("WARNING " + line);
        record(Event.WARNING, phase, stepId, line, Map.of());
      }

      @Override
      public void pause() throws InterruptedException {
        pause(plan.thresholds().pollInterval());
      }

      @Override
      public void pause(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
        if (abortRequested.get() && abortable(JourneyTable.rule(phase))) {
          throw new AbortedException("abort requested while waiting");
        }
      }
    };
  }

  private void record(Event event, Phase phase, String step, String message, Map<String, String> evidence) {
    try {
      JournalRecord r = journal.append(event, phase, step, message == null ? null : Secrets.redact(message),
          Secrets.redact(evidence));
      listener.onRecord(r);
    } catch (IOException e) {
      // without a journal nothing may go on: a step could be repeated after a restart
      throw new JournalLost(e instanceof Journal.Unwritable ? e.getMessage()
          : "cannot write the journal " + journal.where() + ": " + e.getMessage(), e);
    }
  }

  private Snapshot set(State state, Phase phase, String step, String message) {
    boolean sameStep = state == State.RUNNING && step != null && step.equals(snapshot.step());
    snapshot = new Snapshot(state, phase, step, sameStep ? snapshot.progress() : null, Secrets.redact(message));
    return snapshot;
  }

  private static String message(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return Secrets.redact(m + PgConnections.timeoutCause(e));
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
