package io.pgferry.controller.journey.steps;

import io.pgferry.controller.journey.Step;
import java.util.List;

/** A step whose action may run again after a crash with the effect of running once; id and description are fixed. */
abstract class IdempotentStep implements Step {
  private final String id;
  private final List<String> description;

  IdempotentStep(String id, List<String> description) {
    this.id = id;
    this.description = List.copyOf(description);
  }

  @Override
  public final String id() {
    return id;
  }

  @Override
  public final boolean idempotent() {
    return true;
  }

  @Override
  public final List<String> describe() {
    return description;
  }
}
