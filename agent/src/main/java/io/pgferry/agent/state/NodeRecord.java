package io.pgferry.agent.state;

import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import java.util.ArrayList;
import java.util.List;

/**
 * What the agent persists: the state it last reached (and for which goal generation), the goal it holds, and the
 * steps already completed in the transition under way, so a restarted agent resumes instead of restarting.
 *
 * @param state            last state reached (never INITIALIZING or FAILED: those are only reported)
 * @param stateGeneration  goal generation that state was reached for (0: inferred from the data dir)
 * @param goal             the goal to converge to (null: none yet)
 * @param transition       "FROM->TO@generation" of the transition the completed steps belong to
 * @param completedSteps   step names done in that transition
 * @param restartRequired  configuration changed while PostgreSQL ran: the next start step restarts it
 * @param fencedGeneration the agent fenced itself (lease lost) while holding this goal generation: it does not
 *                         start PostgreSQL again until a newer goal arrives
 */
public record NodeRecord(
    NodeState state,
    long stateGeneration,
    Goal goal,
    String transition,
    List<String> completedSteps,
    boolean restartRequired,
    long fencedGeneration) {

  public NodeRecord {
    completedSteps = List.copyOf(completedSteps == null ? List.of() : completedSteps);
    transition = transition == null ? "" : transition;
  }

  public static NodeRecord initial(NodeState inferred) {
    return new NodeRecord(inferred, 0, null, "", List.of(), false, 0);
  }

  public long goalGeneration() {
    return goal == null ? 0 : goal.getGeneration();
  }

  /** True when the last reached state is the goal's state for the goal's generation. */
  public boolean converged() {
    return goal != null && state == goal.getState() && stateGeneration >= goal.getGeneration();
  }

  public NodeRecord withGoal(Goal g) {
    return new NodeRecord(state, stateGeneration, g, transition, completedSteps, restartRequired, fencedGeneration);
  }

  public NodeRecord withStepDone(String transitionId, String step) {
    List<String> steps = transitionId.equals(transition) ? new ArrayList<>(completedSteps) : new ArrayList<>();
    steps.add(step);
    return new NodeRecord(state, stateGeneration, goal, transitionId, steps, restartRequired, fencedGeneration);
  }

  public NodeRecord reached(NodeState s, long generation) {
    return new NodeRecord(s, generation, goal, "", List.of(), restartRequired, fencedGeneration);
  }

  public NodeRecord withRestartRequired(boolean required) {
    return new NodeRecord(state, stateGeneration, goal, transition, completedSteps, required, fencedGeneration);
  }

  public NodeRecord fenced(long generation) {
    return new NodeRecord(NodeState.FENCED, generation, goal, "", List.of(), restartRequired, generation);
  }

  public List<String> completedStepsOf(String transitionId) {
    return transitionId.equals(transition) ? completedSteps : List.of();
  }
}
