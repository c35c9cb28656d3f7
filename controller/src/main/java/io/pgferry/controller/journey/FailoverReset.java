package io.pgferry.controller.journey;

/** A column of the journey table: what entering FAILOVER does to a phase that was already entered. */
public enum FailoverReset {
  /** Kept as the journal has it. */
  KEPT,
  /** Started: it runs again from its start on the new primary (steps done on A mean nothing on B). */
  STARTS_OVER,
  /** Done: it is waited for again, now from the new primary. */
  AGAIN_IF_DONE;

  /** Whether a failover resets this phase, as the journal stands. */
  boolean resets(Phase phase, JournalState st) {
    return switch (this) {
      case KEPT -> false;
      case STARTS_OVER -> st.phaseStartedAt(phase).isPresent();
      case AGAIN_IF_DONE -> st.phaseDone(phase);
    };
  }
}
