package io.pgferry.controller.journey.steps;

import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import java.util.List;

/** A step whose action is a function; idempotent (the function checks "already done?" itself). */
final class FnStep extends IdempotentStep {
  interface Action {
    StepResult run(StepContext ctx) throws Exception;
  }

  private final Action action;

  FnStep(String id, List<String> description, Action action) {
    super(id, description);
    this.action = action;
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    return action.run(ctx);
  }
}
