package io.pgferry.controller.journey.steps;

import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.proto.Goal;
import java.util.List;
import java.util.Map;

/** Gives a node its goal through the directory (which persists it and sends it). Assigning it again is a no-op. */
final class AssignGoalStep extends IdempotentStep {
  interface GoalSource {
    Goal goal(StepContext ctx) throws JourneyException;
  }

  private final String nodeId;
  private final GoalSource goal;

  AssignGoalStep(String id, String nodeId, GoalSource goal, List<String> description) {
    super(id, description);
    this.nodeId = nodeId;
    this.goal = goal;
  }

  @Override
  public StepResult run(StepContext ctx) throws JourneyException {
    NodeDirectory nodes = ctx.ports().nodes();
    Goal wanted = goal.goal(ctx);
    Goal held = nodes.node(nodeId).map(v -> v.goal()).orElse(null);
    if (Goals.same(held, wanted)) {
      return new StepResult(nodeId + " already holds goal " + wanted.getState() + " (generation "
          + held.getGeneration() + ")", Map.of("generation", Long.toString(held.getGeneration())));
    }
    Goal assigned = nodes.assign(nodeId, wanted);
    return new StepResult("assigned " + nodeId + " goal " + assigned.getState() + " (generation "
        + assigned.getGeneration() + ")", Map.of("generation", Long.toString(assigned.getGeneration())));
  }
}
