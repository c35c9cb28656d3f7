package io.pgferry.agent.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.archive.replica.ArchiveExtension;
import io.pgferry.agent.converge.Transition;
import io.pgferry.proto.NodeState;
import java.util.List;
import org.junit.jupiter.api.Test;

class FsmExportTest {
  private final TransitionTable<Transition.Factory> table =
      ArchiveExtension.table(null);

  @Test
  void everyGoalStateHasTraitsAndARowReachingIt() {
    for (NodeState s : NodeTraits.goalStates()) {
      assertTrue(table.rows().stream().anyMatch(r -> r.to() == s), "no row reaches " + s);
    }
    assertEquals(List.of(NodeState.ARCHIVE_REPLICA, NodeState.STREAMING_STANDBY, NodeState.PRIMARY, NodeState.FENCED,
        NodeState.STOPPED), NodeTraits.goalStates());
    for (NodeState s : NodeState.values()) {
      if (s != NodeState.UNRECOGNIZED && s != NodeState.NODE_STATE_UNSPECIFIED) {
        assertEquals(s, NodeTraits.of(s).state());
        assertTrue(NodeTraits.all().contains(NodeTraits.of(s)), s + " is missing from the traits table");
      }
    }
  }

  @Test
  void listShowsStatesAndRows() {
    String list = FsmExport.list(table);
    assertTrue(list.contains("\nPRIMARY            yes   yes      -          yes"), list);
    assertTrue(list.contains("\nARCHIVE_REPLICA,EMPTY,STOPPED,STREAMING_STANDBY           STREAMING_STANDBY  base backup"), list);
    assertTrue(list.contains("any  "), list);
  }

  @Test
  void dotHasOneEdgePerPersistedFromState() {
    String dot = FsmExport.dot(table);
    assertTrue(dot.startsWith("digraph pgferry_agent_fsm {"), dot);
    assertTrue(dot.contains("  STREAMING_STANDBY -> PRIMARY [tooltip=\"start -> pg_ctl promote"), dot);
    assertTrue(dot.contains("  EMPTY -> ARCHIVE_REPLICA ["), dot);
    assertTrue(!dot.contains("INITIALIZING ->") && !dot.contains("FAILED ->"), dot);
  }
}
