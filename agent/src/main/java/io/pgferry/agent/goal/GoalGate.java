package io.pgferry.agent.goal;

import io.pgferry.proto.Goal;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Lets through only goals the {@link GoalValidator} accepts. A refused goal is not kept (the agent goes on with the
 * goal it holds, nothing on disk changes); the refusal is what Status.last_error reports until a goal is accepted,
 * and it is logged and counted once per distinct goal (the controller re-sends its goal with every lease renewal).
 * Memory only: safe on an event loop.
 */
public final class GoalGate {
  private static final Logger LOG = Logger.getLogger(GoalGate.class.getName());

  private final GoalValidator validator;
  private final AtomicLong refused = new AtomicLong();
  private volatile Goal lastRefused;
  private volatile String refusal = "";

  public GoalGate(GoalValidator validator) {
    this.validator = validator;
  }

  /** True when {@code goal} may be kept; false (and the refusal recorded) otherwise. */
  public synchronized boolean admit(Goal goal) {
    List<String> problems = validator.problems(goal);
    if (problems.isEmpty()) {
      lastRefused = null;
      refusal = "";
      return true;
    }
    if (!goal.equals(lastRefused)) {
      lastRefused = goal;
      refusal = "goal generation " + goal.getGeneration() + " refused: " + String.join("; ", problems);
      refused.incrementAndGet();
      LOG.warning(refusal + " (the agent keeps its previous goal; nothing was changed)");
    }
    return false;
  }

  /** Why the last goal was refused; "" when the last goal offered was accepted. */
  public String refusal() {
    return refusal;
  }

  /** Distinct goals refused since the agent started (pgferry_goals_refused_total). */
  public long refusedCount() {
    return refused.get();
  }
}
