package io.pgferry.controller.journey.steps;

import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import java.util.List;

/** A step whose action is a function; idempotent (the function checks "already done?" itself). */
final class FnStep implements Step {
  interface Action {
    StepResult run(StepContext ctx) throws Exception;
  }

  private final String id;
  private final Action action;
  private final List<String> description;

  FnStep(String id, List<String> description, Action action) {
    this.id = id;
    this.action = action;
    this.description = List.copyOf(description);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public boolean idempotent() {
    return true;
  }

  @Override
  public List<String> describe() {
    return description;
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    return action.run(ctx);
  }
}
