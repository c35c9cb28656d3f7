package io.pgferry.controller.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.archive.replica.ArchiveExtension;
import io.pgferry.agent.converge.Transition;
import io.pgferry.agent.converge.Transitions;
import io.pgferry.agent.state.NodeTraits;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.proto.NodeState;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The controller and the agent agree on the state machine: every goal state the controller can assign
 * ({@link LinkDirectory#assign} refuses the others; the journey's Goals, add-standby and failover go through it) has
 * a row in the agent's traits table marked as a goal, and a row of the agent's transition table reaching it.
 */
class GoalContractTest {
  private static final TransitionTable<Transition.Factory> AGENT_TABLE =
      Transitions.defaultTable(List.of(ArchiveExtension.archiveReplicaRow((Transition.Factory) null)));

  @Test
  void everyAssignableGoalHasARowInTheAgentsTable() {
    for (NodeState goal : LinkDirectory.GOAL_STATES) {
      assertTrue(NodeTraits.of(goal).goal(), goal + " is assignable by the controller but not a goal state in the agent's traits");
      assertTrue(AGENT_TABLE.rows().stream().anyMatch(r -> r.to() == goal),
          goal + " is assignable by the controller but no agent transition reaches it");
    }
  }

  @Test
  void theAgentTakesNoGoalTheControllerCannotAssign() {
    Set<NodeState> agentGoals = EnumSet.copyOf(NodeTraits.goalStates());
    assertEquals(LinkDirectory.GOAL_STATES, agentGoals);
  }
}
