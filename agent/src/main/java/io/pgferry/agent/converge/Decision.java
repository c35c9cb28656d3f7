package io.pgferry.agent.converge;

import io.pgferry.agent.state.NodeTraits;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.proto.Goal;

/**
 * What the converger does next, with a sentence saying why (Status.transition shows it; tests assert on it).
 * Made by {@link Decider#decide}, a pure function of the persisted record, the enforced lease and the time.
 */
public record Decision(Kind kind, String sentence, Goal goal, TransitionTable.Row<Transition.Factory> row, NodeTraits traits) {
  /** The ladder's cases, in the order they are checked. */
  public enum Kind {
    /** A PRIMARY whose lease ran out (or is about to): stop PostgreSQL and record FENCED. */
    FENCE_LEASE_LOST,
    /** No goal held yet: nothing to do. */
    NO_GOAL,
    /** Fenced for a lapsed lease, and the same PRIMARY goal's lease was renewed: back to PRIMARY. */
    LIFT_FENCE,
    /** Fenced for a lapsed lease, no renewal nor newer goal: keep PostgreSQL down. */
    STAY_FENCED,
    /** The state is the goal's: keep it so (start a stopped server, keep a stopped one down). */
    RECONCILE,
    /** The goal needs a lease and the node holds none valid: wait, do not promote. */
    WAIT_FOR_LEASE,
    /** Run the transition of the table's first matching row. */
    TRANSITION,
    /** The table has no row from this state to the goal: a permanent error until the goal changes. */
    NO_TRANSITION
  }

  static Decision of(Kind kind, String sentence, Goal goal, NodeTraits traits) {
    return new Decision(kind, sentence, goal, null, traits);
  }

  /** Whether this decision runs work that can fail and is retried (the others only keep things as they are). */
  public boolean acts() {
    return kind == Kind.TRANSITION || kind == Kind.NO_TRANSITION;
  }
}
