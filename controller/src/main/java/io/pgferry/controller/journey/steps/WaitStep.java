package io.pgferry.controller.journey.steps;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.controller.journey.Decisions;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.journey.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Polls a pure decision until it says ready, fails, or the timeout (counted from the step's first start) ends. */
final class WaitStep implements Step {
  interface Decision {
    Verdict decide(StepContext ctx, Instant now) throws Exception;
  }

  private final String id;
  private final String what;
  private final Function<StepContext, Duration> timeout;
  private final Decision decision;
  private final List<String> description;
  private final Duration poll;

  WaitStep(String id, String what, Function<StepContext, Duration> timeout, Decision decision, List<String> description) {
    this(id, what, timeout, decision, description, null);
  }

  /** @param poll how often to decide again; null: the plan's poll_interval */
  WaitStep(String id, String what, Function<StepContext, Duration> timeout, Decision decision, List<String> description,
           Duration poll) {
    this.id = id;
    this.what = what;
    this.timeout = timeout;
    this.decision = decision;
    this.description = List.copyOf(description);
    this.poll = poll;
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
    Duration limit = timeout.apply(ctx);
    Duration every = ctx.plan().thresholds().pollInterval();
    String[] last = {null};
    try {
      Verdict.Ready ready = Poll.until(Deadline.after(ctx.clock(), ctx.stepStartedAt(), limit),
          poll != null && poll.compareTo(every) < 0 ? poll : every, ctx::pause, what, () -> {
            Verdict v = decision.decide(ctx, ctx.clock().instant());
            if (v instanceof Verdict.Ready r) {
              return Optional.of(r);
            }
            if (v instanceof Verdict.Failed failed) {
              throw new JourneyException(failed.reason());
            }
            last[0] = ((Verdict.Waiting) v).progress();
            ctx.progress(last[0]);
            return Optional.empty();
          });
      return new StepResult(ready.summary(), ready.evidence());
    } catch (Poll.Timeout e) {
      throw new JourneyException(Decisions.timedOut(limit, what, last[0]));
    }
  }
}
