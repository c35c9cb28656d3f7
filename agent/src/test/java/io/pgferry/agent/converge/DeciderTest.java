package io.pgferry.agent.converge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.fence.Lease;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each case of the converger's ladder, from the record, the lease and the time alone. */
class DeciderTest {
  private static final long NOW = 1_000_000_000_000L;
  private static final Lease VALID = Lease.until(NOW + 5_000_000_000L);
  private static final Lease EXPIRED = Lease.until(NOW - 1);
  private final Decider decider = new Decider(Transitions.defaultTable(List.of()));

  private static Goal goal(NodeState state, long generation) {
    Goal.Builder g = Goal.newBuilder().setState(state).setGeneration(generation);
    if (state == NodeState.STREAMING_STANDBY) {
      g.setUpstream(Upstream.newBuilder().setHost("10.0.0.5").setPort(5432));
    }
    return g.build();
  }

  private static NodeRecord record(NodeState state, long stateGeneration, Goal goal) {
    return new NodeRecord(state, stateGeneration, goal, "", List.of(), false, 0);
  }

  private Decision decide(NodeRecord r, Lease lease) {
    return decider.decide(r, lease, NOW);
  }

  @Test
  void aPrimaryWhoseLeaseRanOutFencesBeforeAnythingElse() {
    Decision d = decide(record(NodeState.PRIMARY, 3, goal(NodeState.PRIMARY, 3)), EXPIRED);
    assertEquals(Decision.Kind.FENCE_LEASE_LOST, d.kind());
    assertTrue(d.sentence().startsWith("fencing: the PRIMARY lease is about to expire"), d.sentence());
    assertEquals(Decision.Kind.RECONCILE, decide(record(NodeState.PRIMARY, 3, goal(NodeState.PRIMARY, 3)), VALID).kind());
    assertEquals(Decision.Kind.RECONCILE, decide(record(NodeState.PRIMARY, 3, goal(NodeState.PRIMARY, 3)), Lease.NONE).kind(),
        "no lease ever granted (goals from a file): a primary stays up");
  }

  @Test
  void withoutAGoalNothingHappens() {
    Decision d = decide(NodeRecord.initial(NodeState.STOPPED), Lease.NONE);
    assertEquals(Decision.Kind.NO_GOAL, d.kind());
    assertEquals("no goal yet", d.sentence());
    assertFalse(d.acts());
  }

  @Test
  void aLeaseFenceIsLiftedByARenewalOfTheSamePrimaryGoal() {
    NodeRecord fenced = record(NodeState.PRIMARY, 4, goal(NodeState.PRIMARY, 4)).fenced(4);
    Decision lifted = decide(fenced, VALID);
    assertEquals(Decision.Kind.LIFT_FENCE, lifted.kind());
    assertEquals("PRIMARY lease renewed under goal generation 4: lifting the fence", lifted.sentence());
    Decision stays = decide(fenced, EXPIRED);
    assertEquals(Decision.Kind.STAY_FENCED, stays.kind());
    assertEquals("fenced (lease lost under goal generation 4): waiting for a renewal or a new goal", stays.sentence());
  }

  @Test
  void aNewerGoalLeavesTheLeaseFenceThroughTheTable() {
    NodeRecord fenced = record(NodeState.PRIMARY, 4, goal(NodeState.PRIMARY, 4)).fenced(4).withGoal(goal(NodeState.STOPPED, 5));
    Decision d = decide(fenced, Lease.NONE);
    assertEquals(Decision.Kind.TRANSITION, d.kind());
    assertEquals(NodeState.STOPPED, d.row().to());
    assertTrue(d.sentence().startsWith("FENCED -> STOPPED (goal generation 5): pg_ctl stop"), d.sentence());
  }

  @Test
  void convergedNodesAreReconciledByTheirTraits() {
    Decision standby = decide(record(NodeState.STREAMING_STANDBY, 2, goal(NodeState.STREAMING_STANDBY, 2)), Lease.NONE);
    assertEquals(Decision.Kind.RECONCILE, standby.kind());
    assertEquals("converged to STREAMING_STANDBY (goal generation 2): keep PostgreSQL running", standby.sentence());
    assertTrue(standby.traits().pgRuns());
    Decision stopped = decide(record(NodeState.STOPPED, 2, goal(NodeState.STOPPED, 2)), Lease.NONE);
    assertEquals("converged to STOPPED (goal generation 2): keep PostgreSQL down", stopped.sentence());
    Decision fenced = decide(record(NodeState.FENCED, 2, goal(NodeState.FENCED, 2)), Lease.NONE);
    assertEquals(Decision.Kind.RECONCILE, fenced.kind(), "fenced by goal: kept fenced, not a lease fence to wait on");
    assertTrue(fenced.traits().keepDown());
  }

  @Test
  void promotionWaitsForALease() {
    NodeRecord r = record(NodeState.STREAMING_STANDBY, 2, goal(NodeState.PRIMARY, 3));
    Decision d = decide(r, EXPIRED);
    assertEquals(Decision.Kind.WAIT_FOR_LEASE, d.kind());
    assertEquals("waiting for a valid lease before promoting", d.sentence());
    Decision go = decide(r, VALID);
    assertEquals(Decision.Kind.TRANSITION, go.kind());
    assertTrue(go.sentence().startsWith("STREAMING_STANDBY -> PRIMARY (goal generation 3): start -> pg_ctl promote"), go.sentence());
    assertTrue(go.acts());
  }

  @Test
  void aMissingEdgeIsAPermanentNoTransition() {
    Decision d = decide(record(NodeState.EMPTY, 0, goal(NodeState.PRIMARY, 1)), VALID);
    assertEquals(Decision.Kind.NO_TRANSITION, d.kind());
    assertEquals("no transition from EMPTY to PRIMARY (see the transition table: pgferry-agent fsm list)", d.sentence());
  }

  @Test
  void extensionRowsComeFirst() {
    TransitionTable.Row<Transition.Factory> extra = new TransitionTable.Row<>(Set.of(NodeState.EMPTY),
        NodeState.ARCHIVE_REPLICA, "from the archive", (g, c) -> Transition.of("x", List.of()));
    Decider withArchive = new Decider(Transitions.defaultTable(List.of(extra)));
    Decision d = withArchive.decide(record(NodeState.EMPTY, 0, goal(NodeState.ARCHIVE_REPLICA, 1)), Lease.NONE, NOW);
    assertEquals(Decision.Kind.TRANSITION, d.kind());
    assertEquals(extra, d.row());
  }

  @Test
  void errorsAreClassified() {
    assertEquals(ConvergeError.Kind.PERMANENT, ConvergeError.kindOf(ConvergeError.permanent("holds a different cluster")));
    assertEquals(ConvergeError.Kind.RETRIABLE, ConvergeError.kindOf(new IOException("connection refused")));
    assertEquals(ConvergeError.Kind.RETRIABLE, ConvergeError.kindOf(new IllegalStateException("still in recovery")));
  }
}
