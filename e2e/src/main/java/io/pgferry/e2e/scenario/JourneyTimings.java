package io.pgferry.e2e.scenario;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Phase;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.testkit.Ledger;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Times of a journey from the controller's journal (wall clock) and the ledger's commits (System.nanoTime): write
 * downtimes, cutover 2's block -> unblock by step, the failover from the kill to the first commit by part.
 */
final class JourneyTimings {
  private final List<JournalFile.Entry> journal;
  private final Ledger ledger;
  private final Instant wallAtStart;
  private final long nanosAtStart;

  JourneyTimings(List<JournalFile.Entry> journal, Ledger ledger, Instant wallAtStart, long nanosAtStart) {
    this.journal = journal;
    this.ledger = ledger;
    this.wallAtStart = wallAtStart;
    this.nanosAtStart = nanosAtStart;
  }

  /** The journal's last entry of this event for this step (or phase): a phase run again after a failover counts once. */
  Optional<JournalFile.Entry> last(String event, String stepOrPhase) {
    Optional<JournalFile.Entry> found = Optional.empty();
    for (JournalFile.Entry e : journal) {
      if (e.is(event, stepOrPhase)) {
        found = Optional.of(e);
      }
    }
    return found;
  }

  long nanosOf(Instant at) {
    return nanosAtStart + Duration.between(wallAtStart, at).toNanos();
  }

  /**
   * The write downtime of the phase's last run: the largest commit gap while it ran (journal start to end); absent
   * when the phase did not finish. Waits for the first commit after it (the app writes to the new primary).
   */
  Optional<Duration> phaseDowntime(String phase) {
    Optional<JournalFile.Entry> start = last("PHASE_STARTED", phase);
    Optional<JournalFile.Entry> done = last("PHASE_DONE", phase);
    if (start.isEmpty() || done.isEmpty()) {
      return Optional.empty();
    }
    long from = nanosOf(start.get().at());
    long to = nanosOf(done.get().at());
    Ledger.await(() -> ledger.acknowledgedAfter(to) > 0, Duration.ofSeconds(60));
    return Optional.of(gapBetween(from, to));
  }

  /** The failover's outage begins at the kill, seconds before the controller decides (detect_after): kill -> first commit. */
  Optional<Duration> killToFirstCommit(long killedAt) {
    Ledger.await(() -> ledger.firstAckAfterOutage(killedAt) > 0, Duration.ofSeconds(60));
    long first = ledger.firstAckAfterOutage(killedAt);
    return first > 0 ? Optional.of(Duration.ofNanos(first - killedAt)) : Optional.empty();
  }


  /** Cutover 2 from block_app to unblock_app, each step's last run (STEP_STARTED -> STEP_DONE), plus "total". */
  Map<String, Duration> cutover2Steps() {
    Map<String, Duration> out = new LinkedHashMap<>();
    List<String> steps = JourneyTable.rule(Phase.CUTOVER_2).steps();
    for (String step : steps.subList(Math.max(0, steps.indexOf(JourneyTable.C2_BLOCK_APP)), steps.size())) {
      stepTime(step).ifPresent(d -> out.put(step.substring(step.indexOf('.') + 1), d));
    }
    Optional<JournalFile.Entry> blocked = last("STEP_STARTED", JourneyTable.C2_BLOCK_APP);
    Optional<JournalFile.Entry> unblocked = last("STEP_DONE", JourneyTable.C2_UNBLOCK);
    if (blocked.isPresent() && unblocked.isPresent()) {
      out.put("total", Duration.between(blocked.get().at(), unblocked.get().at()));
    }
    return out;
  }

  /**
   * The failover from the kill to the first commit: detection (kill -> PHASE_STARTED FAILOVER), fence, lease wait,
   * promotion, app repoint (their steps), first commit (repoint done -> the app's first commit). Empty without a kill.
   */
  Map<String, Duration> failoverSplit(long killedAt) {
    Map<String, Duration> out = new LinkedHashMap<>();
    Optional<JournalFile.Entry> entered = last("PHASE_STARTED", "FAILOVER");
    if (killedAt == 0 || entered.isEmpty()) {
      return out;
    }
    out.put("detection", Duration.ofNanos(Math.max(0, nanosOf(entered.get().at()) - killedAt)));
    stepTime(JourneyTable.FO_FENCE_A).ifPresent(d -> out.put("fence", d));
    stepTime(JourneyTable.FO_WAIT_LEASE).ifPresent(d -> out.put("lease wait", d));
    stepTime(JourneyTable.FO_PROMOTE_B).ifPresent(d -> out.put("promotion", d));
    stepTime(JourneyTable.FO_REPOINT_APP).ifPresent(d -> out.put("app repoint", d));
    Optional<JournalFile.Entry> repointed = last("STEP_DONE", JourneyTable.FO_REPOINT_APP);
    long first = ledger.firstAckAfterOutage(killedAt);
    if (repointed.isPresent() && first > 0) {
      out.put("first commit", Duration.ofNanos(Math.max(0, first - nanosOf(repointed.get().at()))));
    }
    return out;
  }

  /**
   * The app's failed writes around a failover, by when they failed: between the kill and the decision (the outage
   * nobody has noticed yet), between the decision and the app's pause (failover.pause_app done), and from the pause
   * to the first commit after the outage - the pause is there so that this last count is 0. Empty without a kill.
   */
  Map<String, Long> failoverErrors(long killedAt) {
    Map<String, Long> out = new LinkedHashMap<>();
    Optional<JournalFile.Entry> entered = last("PHASE_STARTED", "FAILOVER");
    long first = ledger.firstAckAfterOutage(killedAt);
    if (killedAt == 0 || entered.isEmpty() || first <= 0) {
      return out;
    }
    long decided = nanosOf(entered.get().at());
    long paused = last("STEP_DONE", JourneyTable.FO_PAUSE_APP).filter(e -> "true".equals(e.evidence().get("paused")))
        .map(e -> nanosOf(e.at())).orElse(first);
    List<Ledger.Failure> failures = ledger.failures();
    out.put("before the decision", failures.stream().filter(f -> f.atNanos() >= killedAt && f.atNanos() < decided).count());
    out.put("decision to pause", failures.stream().filter(f -> f.atNanos() >= decided && f.atNanos() < paused).count());
    out.put("while paused", failures.stream().filter(f -> f.atNanos() >= paused && f.atNanos() < first).count());
    return out;
  }

  /** STEP_STARTED -> STEP_DONE of the step's last run. */
  private Optional<Duration> stepTime(String step) {
    Optional<JournalFile.Entry> started = last("STEP_STARTED", step);
    Optional<JournalFile.Entry> done = last("STEP_DONE", step);
    return started.isPresent() && done.isPresent() && !done.get().at().isBefore(started.get().at())
        ? Optional.of(Duration.between(started.get().at(), done.get().at())) : Optional.empty();
  }

  /** The longest time between two commits of the app's ledger that touches [from, to] (System.nanoTime). */
  Duration gapBetween(long from, long to) {
    long[] commits = ledger.acks().stream().mapToLong(Ledger.Ack::commitNanos).sorted().toArray();
    long prev = Long.MIN_VALUE;
    long max = 0;
    for (long c : commits) {
      if (prev != Long.MIN_VALUE && c >= from && prev <= to) {
        max = Math.max(max, c - prev);
      }
      prev = c;
    }
    return Duration.ofNanos(max);
  }
}
