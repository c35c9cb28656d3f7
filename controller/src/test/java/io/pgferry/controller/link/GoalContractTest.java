package io.pgferry.controller.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.archive.replica.ArchiveExtension;
import io.pgferry.agent.goal.GoalLimits;
import io.pgferry.agent.goal.GoalValidator;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.steps.StandbySlotSetup;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.sql.logical.ReplicationRole;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.Status;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Optional;
import io.pgferry.agent.converge.Transition;
import io.pgferry.agent.state.NodeTraits;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.proto.NodeState;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The controller and the agent agree on the state machine: every goal state the controller can assign
 * ({@link LinkDirectory#assign} refuses the others; the journey's Goals, add-standby and failover go through it) has
 * a row in the agent's traits table marked as a goal, and a row of the agent's transition table reaching it.
 */
class GoalContractTest {
  private static final TransitionTable<Transition.Factory> AGENT_TABLE = ArchiveExtension.table(null);

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

  /**
   * Every goal the controller builds (journey Goals, add-standby's replication rule, the logical setup's rule for T,
   * the failover-slot setting) passes the agent's goal validator with agent.yaml's defaults, for every hba_method a
   * plan accepts: the controller never sends what a strict agent refuses.
   */
  @ParameterizedTest
  @ValueSource(strings = {"scram-sha-256", "cert", "md5"})
  void everyGoalTheControllerBuildsPassesTheAgentsValidator(String method) {
    PlanBuilder planned = PlanBuilder.plan().hbaMethod(method).pgMajor(method.equals("md5") ? 13 : 15).durability("sync")
        .logical(l -> l.targetAddress("10.0.9.7"));
    if (method.equals("cert")) {
      planned.nodeCertificates(Path.of("/etc/pgferry/tls/controller.pem"),
          Path.of("/etc/pgferry/tls/controller.key"), null);
    }
    Plan plan = PlanLoader.parse("plan.yaml", planned.yaml(), null).plan();
    int major = method.equals("md5") ? 13 : 17;
    GoalValidator validator = new GoalValidator(GoalLimits.STRICT, major);
    List<Goal> goals = new ArrayList<>();
    for (String host : List.of("10.0.0.6", "fd00::6", "b.internal")) {
      NodeView b = new NodeView("b", Hello.newBuilder().setNodeId("b").setHost(host).setPgPort(5432).build(),
          Status.newBuilder().setBootstrapSuperuser("postgres").build(), null, true, Instant.now(), Optional.empty());
      NodeView a = new NodeView("a", Hello.newBuilder().setNodeId("a").setHost(host).setPgPort(5432).build(),
          Status.newBuilder().setBootstrapSuperuser("postgres").build(), null, true, Instant.now(), Optional.empty());
      goals.add(Goals.archiveReplica(plan, Optional.of(b)));
      goals.add(Goals.primary(plan, Optional.of(b)));
      goals.add(Goals.streamingStandby(plan, a));
      Goal standbyWithSlot = Goals.streamingStandby(plan, a);
      goals.add(standbyWithSlot.toBuilder().setUpstream(standbyWithSlot.getUpstream().toBuilder()
          .setSlotName(StandbySlotSetup.physicalSlot(plan)).setDbname(plan.app().dbname())).addLogicalSlots(plan.failover().slot()).build());
      goals.add(Goals.primary(plan, Optional.of(b)).toBuilder().addHbaRules(Goals.replicationRule(plan, a))
          .putSettings("synchronized_standby_slots", StandbySlotSetup.physicalSlot(plan))
          .addHbaRules(new ReplicationRole(PgEndpoint.fromUrl("postgres://postgres@" + (host.contains(":") ? "[" + host + "]" : host)
              + ":5432/" + plan.app().dbname()), plan.logical().replicationRole(), null)
              .hbaRule(plan.logical().targetAddress(), Goals.passwordMethod(plan))).build());
    }
    for (Goal g : goals) {
      assertEquals(List.of(), validator.problems(g), g.toString());
    }
  }
}
