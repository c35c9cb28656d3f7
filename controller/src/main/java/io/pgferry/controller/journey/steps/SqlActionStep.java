package io.pgferry.controller.journey.steps;

import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.sql.SqlAction;
import java.util.List;
import java.util.Map;

/** A journey step around one idempotent SQL capability (it checks "already done?" itself). */
final class SqlActionStep implements Step {
  interface ActionSource {
    SqlAction<?> action(StepContext ctx) throws Exception;
  }

  private final String id;
  private final ActionSource source;
  private final List<String> description;

  SqlActionStep(String id, ActionSource source, List<String> description) {
    this.id = id;
    this.source = source;
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
    Object result = source.action(ctx).run();
    String text = String.valueOf(result);
    return new StepResult(text, Map.of("result", text));
  }
}
