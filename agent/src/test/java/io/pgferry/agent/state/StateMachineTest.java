package io.pgferry.agent.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.converge.Transitions;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateMachineTest {
  @TempDir
  Path dir;

  @Test
  void firstMatchingRowWinsAndMissingEdgesAreAbsent() {
    TransitionTable<String> table = TransitionTable.<String>builder()
        .row(EnumSet.of(NodeState.EMPTY), NodeState.STREAMING_STANDBY, "first", "a")
        .row(TransitionTable.any(), NodeState.STREAMING_STANDBY, "second", "b")
        .build();
    assertEquals("a", table.find(NodeState.EMPTY, NodeState.STREAMING_STANDBY).orElseThrow().transition());
    assertEquals("b", table.find(NodeState.STOPPED, NodeState.STREAMING_STANDBY).orElseThrow().transition());
    assertTrue(table.find(NodeState.EMPTY, NodeState.PRIMARY).isEmpty());

    var defaults = Transitions.defaultTable(List.of());
    assertTrue(defaults.find(NodeState.EMPTY, NodeState.PRIMARY).isEmpty(), "an empty node cannot become primary");
    assertTrue(defaults.find(NodeState.PRIMARY, NodeState.STREAMING_STANDBY).orElseThrow().comment().contains("rebuild"),
        "rejoining needs a rewind or a rebuild: only the rebuild here");
    assertTrue(defaults.find(NodeState.STREAMING_STANDBY, NodeState.PRIMARY).isPresent());
    assertTrue(defaults.describe().contains("pg_ctl promote"));
  }

  @Test
  void stateFileSurvivesARestartWithGoalAndCompletedSteps() throws Exception {
    Path path = dir.resolve("state.json");
    StateFile f = StateFile.open(path, NodeState.EMPTY);
    Goal goal = Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setGeneration(7)
        .setUpstream(Upstream.newBuilder().setHost("10.0.0.5").setPort(5432)).build();
    f.update(r -> r.withGoal(goal).withStepDone("EMPTY->STREAMING_STANDBY@7", "base backup"));
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(path));
    assertTrue(Files.readString(path).contains("\"version\" : 1"));

    NodeRecord r = StateFile.open(path, NodeState.NODE_STATE_UNSPECIFIED).get();
    assertEquals(NodeState.EMPTY, r.state());
    assertEquals(goal, r.goal());
    assertEquals(List.of("base backup"), r.completedStepsOf("EMPTY->STREAMING_STANDBY@7"));
    assertEquals(List.of(), r.completedStepsOf("EMPTY->STREAMING_STANDBY@8"));
    NodeRecord reached = r.reached(NodeState.STREAMING_STANDBY, 7);
    assertTrue(reached.converged());
    assertTrue(reached.completedSteps().isEmpty());
  }
}
