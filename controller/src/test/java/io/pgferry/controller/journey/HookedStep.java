package io.pgferry.controller.journey;

import java.util.List;

/** A real step with a test's hook run before it, after it succeeded, or after it either way (engine tests). */
final class HookedStep implements Step {
  interface Hook {
    void run(StepContext ctx) throws Exception;
  }

  private final Step inner;
  private final Hook before;
  private final Hook afterSuccess;
  private final Hook afterAnyway;

  private HookedStep(Step inner, Hook before, Hook afterSuccess, Hook afterAnyway) {
    this.inner = inner;
    this.before = before;
    this.afterSuccess = afterSuccess;
    this.afterAnyway = afterAnyway;
  }

  static Step before(Step inner, Hook hook) {
    return new HookedStep(inner, hook, null, null);
  }

  /** The hook runs after the step's effect, before the engine records it done. */
  static Step after(Step inner, Hook hook) {
    return new HookedStep(inner, null, hook, null);
  }

  /** The hook runs when the step returned or threw, before the engine records either. */
  static Step afterAnyway(Step inner, Hook hook) {
    return new HookedStep(inner, null, null, hook);
  }

  @Override
  public String id() {
    return inner.id();
  }

  @Override
  public boolean idempotent() {
    return inner.idempotent();
  }

  @Override
  public List<String> describe() {
    return inner.describe();
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    if (before != null) {
      before.run(ctx);
    }
    try {
      StepResult r = inner.run(ctx);
      if (afterSuccess != null) {
        afterSuccess.run(ctx);
      }
      return r;
    } finally {
      if (afterAnyway != null) {
        afterAnyway.run(ctx);
      }
    }
  }
}
