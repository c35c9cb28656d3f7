package io.pgferry.controller.journey.steps;

import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.sql.SqlAction;
import java.util.List;
import java.util.Map;

/** A journey step around one idempotent SQL capability (it checks "already done?" itself). */
final class SqlActionStep extends IdempotentStep {
  interface ActionSource {
    SqlAction<?> action(StepContext ctx) throws Exception;
  }

  private final ActionSource source;

  SqlActionStep(String id, ActionSource source, List<String> description) {
    super(id, description);
    this.source = source;
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    Object result = source.action(ctx).run();
    String text = String.valueOf(result);
    return new StepResult(text, Map.of("result", text));
  }
}
