package io.pgferry.controller.journey;

import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** What the journal says happened, replayed from its records (pure; no I/O). */
public final class JournalState {
  /** What is known of one step. */
  public record StepState(int starts, boolean done, Instant firstStartedAt, Instant doneAt, Map<String, String> evidence,
                          String lastError) {
    static final StepState NONE = new StepState(0, false, null, null, Map.of(), null);
  }

  private final Map<String, StepState> steps = new HashMap<>();
  private String planFingerprint;
  private Phase phase;
  private final Set<Phase> donePhases = EnumSet.noneOf(Phase.class);
  private final Map<Phase, Instant> phaseStarted = new EnumMap<>(Phase.class);
  private final Map<Phase, Instant> phaseDone = new EnumMap<>(Phase.class);
  private JournalRecord lastStop;
  private boolean finished;
  private boolean started;
  private final Set<String> rebuilds = new HashSet<>();
  private Set<Phase> holds = EnumSet.noneOf(Phase.class);
  private final Map<Phase, Instant> heldSince = new EnumMap<>(Phase.class);
  private final Map<Phase, Instant> proceedAt = new EnumMap<>(Phase.class);
  private Instant decommissionedAt;

  private JournalState() {}

  public static JournalState replay(List<JournalRecord> records) {
    JournalState s = new JournalState();
    for (JournalRecord r : records) {
      s.apply(r);
    }
    return s;
  }

  private void apply(JournalRecord r) {
    Instant at = Instant.parse(r.at());
    switch (r.event()) {
      case JOURNEY_STARTED -> {
        started = true;
        lastStop = null;
        if (r.evidence() != null && r.evidence().containsKey("plan_sha256")) {
          planFingerprint = r.evidence().get("plan_sha256");
        }
      }
      case PLAN_AMENDED -> planFingerprint = r.evidence().get("plan_sha256");
      case PHASE_STARTED -> {
        phase = Phase.valueOf(r.phase());
        phaseStarted.putIfAbsent(phase, at);
      }
      case PHASE_DONE -> {
        donePhases.add(Phase.valueOf(r.phase()));
        phaseDone.put(Phase.valueOf(r.phase()), at);
      }
      case STEP_STARTED -> {
        StepState old = step(r.step());
        steps.put(r.step(), new StepState(old.starts() + 1, old.done(),
            old.firstStartedAt() == null ? at : old.firstStartedAt(), old.doneAt(), old.evidence(), old.lastError()));
      }
      case STEP_DONE -> {
        StepState old = step(r.step());
        steps.put(r.step(), new StepState(old.starts(), true, old.firstStartedAt() == null ? at : old.firstStartedAt(),
            at, r.evidence() == null ? Map.of() : r.evidence(), null));
      }
      case STEP_FAILED, STEP_INTERRUPTED -> {
        StepState old = step(r.step());
        steps.put(r.step(), new StepState(old.starts(), old.done(), old.firstStartedAt(), old.doneAt(), old.evidence(),
            r.message()));
      }
      case PHASE_RESET -> {
        Phase p = Phase.valueOf(r.phase());
        steps.keySet().removeIf(id -> JourneyTable.phaseOf(id).orElse(null) == p);
        donePhases.remove(p);
        // a cutover that starts over holds again: the moment the operator chose has passed
        heldSince.remove(p);
        proceedAt.remove(p);
      }
      case JOURNEY_STOPPED -> lastStop = r;
      case JOURNEY_FINISHED -> finished = true;
      case REBUILD_REQUESTED -> {
        if (r.evidence() != null && r.evidence().containsKey("node")) {
          rebuilds.add(r.evidence().get("node"));
        }
      }
      case HOLDS_SET -> holds = parsePhases(r.evidence() == null ? "" : r.evidence().getOrDefault("holds", ""));
      case HOLD_REACHED -> heldSince.putIfAbsent(Phase.valueOf(r.phase()), at);
      case PROCEED_REQUESTED -> proceedAt.put(Phase.valueOf(r.phase()),
          r.evidence() != null && r.evidence().containsKey("at") ? Instant.parse(r.evidence().get("at")) : at);
      case DECOMMISSIONED -> decommissionedAt = at;
      case ABORT_REQUESTED, DECISION -> { }
    }
  }

  public StepState step(String id) {
    return steps.getOrDefault(id, StepState.NONE);
  }

  public boolean isDone(String stepId) {
    return step(stepId).done();
  }

  public boolean started() {
    return started;
  }

  public Optional<String> planFingerprint() {
    return Optional.ofNullable(planFingerprint);
  }

  /** The phase in progress (or last entered), empty before the first. */
  public Optional<Phase> phase() {
    return Optional.ofNullable(phase);
  }

  /** When the phase was first entered (its duration for reports counts from here), if it was. */
  public Optional<Instant> phaseStartedAt(Phase p) {
    return Optional.ofNullable(phaseStarted.get(p));
  }

  public Optional<Instant> phaseDoneAt(Phase p) {
    return Optional.ofNullable(phaseDone.get(p));
  }

  public boolean phaseDone(Phase p) {
    return donePhases.contains(p);
  }

  /** The last stop record, if the journey is stopped (not running and not finished). */
  public Optional<JournalRecord> lastStop() {
    return Optional.ofNullable(lastStop);
  }

  /** Whether a node was lost before cutover 1 and is to be given its goal with rebuild. */
  public boolean rebuildRequested(String nodeId) {
    return rebuilds.contains(nodeId);
  }

  public boolean finished() {
    return finished;
  }

  /** When `pgferry finish` completed, if it did. */
  public Optional<Instant> decommissionedAt() {
    return Optional.ofNullable(decommissionedAt);
  }

  /** The cutovers this journey holds before (none when no apply recorded them, e.g. a journal of an older build). */
  public Set<Phase> holds() {
    return holds.isEmpty() ? EnumSet.noneOf(Phase.class) : EnumSet.copyOf(holds);
  }

  /**
   * Whether the journey must wait before {@code p} at {@code now}: it holds before {@code p}, none of its steps (or
   * undo steps) has started (a hold never falls inside a cutover), and no `pgferry proceed` for it has come due.
   */
  public boolean holdsBefore(Phase p, Instant now) {
    PhaseRule rule = JourneyTable.rule(p);
    Instant proceed = proceedAt.get(p);
    return holds.contains(p) && (proceed == null || proceed.isAfter(now))
        && Stream.concat(rule.steps().stream(), rule.undoSteps().stream()).allMatch(s -> step(s).starts() == 0);
  }

  /** When the journey first stopped before {@code p} for the operator, if it did (cleared when the phase is reset). */
  public Optional<Instant> heldSince(Phase p) {
    return Optional.ofNullable(heldSince.get(p));
  }

  /** The instant `pgferry proceed` set for {@code p} (now, or its --at), if any. */
  public Optional<Instant> proceedAt(Phase p) {
    return Optional.ofNullable(proceedAt.get(p));
  }

  private static Set<Phase> parsePhases(String csv) {
    Set<Phase> out = EnumSet.noneOf(Phase.class);
    for (String name : csv.split(",")) {
      if (!name.isBlank()) {
        out.add(Phase.valueOf(name.trim()));
      }
    }
    return out;
  }
}
