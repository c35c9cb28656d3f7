package io.pgferry.agent.converge;

import io.pgferry.agent.fence.Fence;
import io.pgferry.agent.fence.Lease;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.agent.state.NodeTraits;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;

/**
 * The converger's decision as one pure function: from the persisted record, the lease as enforced and the time, the
 * one thing to do next and why. Touches nothing: the {@link Converger} carries the decision out.
 */
public final class Decider {
  private final TransitionTable<Transition.Factory> table;

  public Decider(TransitionTable<Transition.Factory> table) {
    this.table = table;
  }

  public TransitionTable<Transition.Factory> table() {
    return table;
  }

  public Decision decide(NodeRecord r, Lease lease, long nowNanos) {
    Goal goal = r.goal();
    NodeTraits here = NodeTraits.of(r.state());
    if (here.needsLease() && lease.expired(nowNanos)) {
      return Decision.of(Decision.Kind.FENCE_LEASE_LOST, "fencing: the " + r.state() + " lease is about to expire (or none is held)",
          goal, here);
    }
    if (goal == null) {
      return Decision.of(Decision.Kind.NO_GOAL, "no goal yet", null, here);
    }
    if (r.state() == NodeState.FENCED && !Fence.mayStart(r)) {
      if (Fence.mayStart(r, lease, nowNanos)) {
        return Decision.of(Decision.Kind.LIFT_FENCE, "PRIMARY lease renewed under goal generation " + r.fencedGeneration()
            + ": lifting the fence", goal, here);
      }
      if (goal.getState() != NodeState.FENCED) {
        return Decision.of(Decision.Kind.STAY_FENCED, "fenced (lease lost under goal generation " + r.fencedGeneration()
            + "): waiting for a renewal or a new goal", goal, here);
      }
    }
    if (r.converged()) {
      String keep = here.pgRuns() ? "keep PostgreSQL running" : here.keepDown() ? "keep PostgreSQL down" : "nothing to keep";
      return Decision.of(Decision.Kind.RECONCILE, "converged to " + r.state() + " (goal generation " + goal.getGeneration()
          + "): " + keep, goal, here);
    }
    if (NodeTraits.of(goal.getState()).needsLease() && lease.expired(nowNanos)) {
      return Decision.of(Decision.Kind.WAIT_FOR_LEASE, "waiting for a valid lease before promoting", goal, here);
    }
    return table.find(r.state(), goal.getState())
        .map(row -> new Decision(Decision.Kind.TRANSITION, r.state() + " -> " + goal.getState() + " (goal generation "
            + goal.getGeneration() + "): " + row.comment(), goal, row, here))
        .orElseGet(() -> Decision.of(Decision.Kind.NO_TRANSITION, "no transition from " + r.state() + " to "
            + goal.getState() + " (see the transition table: pgferry-agent fsm list)", goal, here));
  }
}
