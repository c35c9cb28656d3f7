package io.pgferry.agent.converge;

import io.pgferry.proto.Goal;
import java.util.List;

/**
 * A transition from the current state to a goal: an ordered list of idempotent steps. The converger records each
 * completed step in the state file, so a restarted agent resumes after the last one.
 */
public interface Transition {
  /** Human-readable, for Status.transition, e.g. "pg_basebackup from 10.0.0.5:5432". */
  String describe();

  List<Step> steps();

  /** Builds the transition for a goal; rows of the transition table hold these. */
  @FunctionalInterface
  interface Factory {
    Transition create(Goal goal, NodeContext ctx) throws Exception;
  }

  static Transition of(String description, List<Step> steps) {
    return new Transition() {
      @Override
      public String describe() {
        return description;
      }

      @Override
      public List<Step> steps() {
        return steps;
      }
    };
  }
}
