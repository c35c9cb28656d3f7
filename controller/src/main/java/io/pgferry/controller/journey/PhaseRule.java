package io.pgferry.controller.journey;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One row of the journey table: what must hold to enter a phase, its steps (by id, in order), when it is over, and
 * where the journey goes next. {@code pointOfNoReturn} names the step after which a failure can no longer be undone
 * (cutover 1: the promotion of A); before it, a failure or an abort runs {@code undoSteps} and the journey stays
 * where it was. Each undo step undoes one forward step ({@code undoes}) and runs only if that one was started;
 * {@code ifUndoFails} says, per undo step, what stays in place when it fails and what mends it.
 *
 * <p>The routing columns say what the controller loop does when a node is lost while the journey stands here:
 * {@code onPrimaryLoss} (A, the primary after cutover 1), {@code onReplicaLoss} (A or B before cutover 1, B after),
 * and {@code afterFailover} what entering FAILOVER does to this phase when it was already entered.
 */
public record PhaseRule(Phase phase, String entryCheck, List<String> steps, String exitCondition, Phase next,
                        Optional<String> pointOfNoReturn, List<String> undoSteps, Map<String, String> undoes,
                        String undoMeaning, Map<String, String> ifUndoFails, LossRoute onPrimaryLoss,
                        LossRoute onReplicaLoss, FailoverReset afterFailover) {
  public PhaseRule {
    steps = List.copyOf(steps);
    undoSteps = List.copyOf(undoSteps);
    undoes = Map.copyOf(undoes);
    ifUndoFails = Map.copyOf(ifUndoFails);
  }

  PhaseRule(Phase phase, String entryCheck, List<String> steps, String exitCondition, Phase next,
            Optional<String> pointOfNoReturn, List<String> undoSteps, Map<String, String> undoes, String undoMeaning,
            Map<String, String> ifUndoFails) {
    this(phase, entryCheck, steps, exitCondition, next, pointOfNoReturn, undoSteps, undoes, undoMeaning, ifUndoFails,
        null, null, null);
  }

  PhaseRule(Phase phase, String entryCheck, List<String> steps, String exitCondition, Phase next) {
    this(phase, entryCheck, steps, exitCondition, next, Optional.empty(), List.of(), Map.of(), "", Map.of());
  }

  /** This row with its routing columns filled in (the table sets them for every phase). */
  PhaseRule routed(LossRoute primaryLoss, LossRoute replicaLoss, FailoverReset failover) {
    return new PhaseRule(phase, entryCheck, steps, exitCondition, next, pointOfNoReturn, undoSteps, undoes, undoMeaning,
        ifUndoFails, primaryLoss, replicaLoss, failover);
  }

  public boolean hasUndo() {
    return !undoSteps.isEmpty();
  }

  /**
   * What the engine says once the point-of-no-return step has started and a later step fails: the phase is no
   * longer undone but finished. `pgferry plan` prints the same sentence.
   */
  public Optional<String> noWayBack() {
    return pointOfNoReturn.map(p -> "past " + p + " there is no way back: fix the cause and `pgferry resume` finishes "
        + phase);
  }
}
