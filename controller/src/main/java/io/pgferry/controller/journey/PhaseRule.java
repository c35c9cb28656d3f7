package io.pgferry.controller.journey;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One row of the journey table: what must hold to enter a phase, its steps (by id, in order), when it is over, and
 * where the journey goes next. {@code pointOfNoReturn} names the step after which a failure can no longer be undone
 * (cutover 1: the promotion of A); before it, a failure or an abort runs {@code undoSteps} and the journey stays
 * where it was. Each undo step undoes one forward step ({@code undoes}) and runs only if that one was started.
 */
public record PhaseRule(Phase phase, String entryCheck, List<String> steps, String exitCondition, Phase next,
                        Optional<String> pointOfNoReturn, List<String> undoSteps, Map<String, String> undoes,
                        String undoMeaning) {
  public PhaseRule {
    steps = List.copyOf(steps);
    undoSteps = List.copyOf(undoSteps);
    undoes = Map.copyOf(undoes);
  }

  PhaseRule(Phase phase, String entryCheck, List<String> steps, String exitCondition, Phase next) {
    this(phase, entryCheck, steps, exitCondition, next, Optional.empty(), List.of(), Map.of(), "");
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
