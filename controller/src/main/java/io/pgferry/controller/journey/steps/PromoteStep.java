package io.pgferry.controller.journey.steps;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.Decisions;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepCheck;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.journey.Verdict;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A: PRIMARY, then wait until it runs read-write. The point of no return of cutover 1. Declared not idempotent:
 * after a restart the engine first asks {@link #check} whether A is already primary.
 */
final class PromoteStep implements Step {
  private final List<String> description;

  PromoteStep(List<String> description) {
    this.description = List.copyOf(description);
  }

  @Override
  public String id() {
    return JourneyTable.C1_PROMOTE;
  }

  @Override
  public boolean idempotent() {
    return false;
  }

  @Override
  public List<String> describe() {
    return description;
  }

  @Override
  public StepCheck check(StepContext ctx) {
    String a = ctx.plan().nodes().archiveReplica();
    Optional<NodeView> view = ctx.ports().nodes().node(a);
    if (view.isEmpty() || view.get().status() == null) {
      return new StepCheck.Unknown("agent " + a + " has not reported since the restart");
    }
    Verdict v = Decisions.promoted(view, a);
    if (v instanceof Verdict.Ready r) {
      return new StepCheck.Done(r.summary(), r.evidence());
    }
    // the goal may be assigned already; assigning it again is a no-op, and waiting for it is what run() does
    return new StepCheck.NotDone(a + " is " + view.get().status().getState() + ", not yet primary");
  }

  @Override
  public StepResult run(StepContext ctx) throws Exception {
    NodeDirectory nodes = ctx.ports().nodes();
    String a = ctx.plan().nodes().archiveReplica();
    Goal wanted = Goals.primary(ctx.plan(), nodes.node(ctx.plan().nodes().standby()));
    Goal held = nodes.node(a).map(NodeView::goal).orElse(null);
    if (!Goals.same(held, wanted)) {
      if (held == null || held.getState() != NodeState.PRIMARY) {
        ctx.progress("assigning " + a + " goal PRIMARY");
      }
      nodes.assign(a, wanted);
    }
    Duration timeout = ctx.plan().thresholds().timeouts().cutover1();
    Duration every = ctx.plan().thresholds().pollInterval();
    String what = a + " to run as primary";
    String[] last = {null};
    try {
      Verdict.Ready r = Poll.until(Deadline.after(ctx.clock(), ctx.stepStartedAt(), timeout),
          JourneySteps.CUTOVER_POLL.compareTo(every) < 0 ? JourneySteps.CUTOVER_POLL : every, ctx::pause, what, () -> {
            Verdict v = Decisions.promoted(FreshStatus.of(nodes, a), a);
            if (v instanceof Verdict.Ready ready) {
              return Optional.of(ready);
            }
            last[0] = ((Verdict.Waiting) v).progress();
            ctx.progress(last[0]);
            return Optional.empty();
          });
      return new StepResult(r.summary(), r.evidence());
    } catch (Poll.Timeout e) {
      throw new JourneyException(Decisions.timedOut(timeout, what, last[0]));
    }
  }
}
