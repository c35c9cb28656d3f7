package io.pgferry.controller.journey;

import java.util.List;

/**
 * One action of the journey. {@link #run} must check "already done?" first and return the evidence of the effect;
 * it may be called again after a crash when {@link #idempotent()} is true. For a step that is not idempotent and
 * was started but not recorded done, the engine asks {@link #check} whether its effect is there before re-running.
 */
public interface Step {
  String id();

  /** Whether running it twice has the effect of running it once. */
  boolean idempotent();

  /** Exactly what it will do: SQL, commands, HTTP calls, goals, waits. Touches nothing. */
  List<String> describe();

  StepResult run(StepContext ctx) throws Exception;

  /** Is the effect of this step already in place? Default: unknown, so the engine stops for a person. */
  default StepCheck check(StepContext ctx) throws Exception {
    return new StepCheck.Unknown("step " + id() + " cannot tell whether it took effect");
  }
}
