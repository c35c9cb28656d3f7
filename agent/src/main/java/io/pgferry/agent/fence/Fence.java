package io.pgferry.agent.fence;

import io.pgferry.agent.cluster.PgCtl;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.proto.NodeState;
import java.util.List;

/**
 * Keeps a node from accepting writes: PostgreSQL is stopped (fast: the postmaster refuses new sessions and ends
 * the others at once, so writes stop before the shutdown checkpoint) and not started again until a goal newer than
 * the one it was fenced under arrives, or the controller renews the lease of the same PRIMARY goal.
 */
public final class Fence {
  private Fence() {}

  /** Stops PostgreSQL if it runs. Returns true when it had to act. */
  public static boolean ensureFenced(PgCtl pgCtl) {
    if (!pgCtl.isRunning()) {
      return false;
    }
    pgCtl.stopFast();
    return true;
  }

  /** False while the node is fenced and no newer goal lifted the fence. */
  public static boolean mayStart(NodeRecord r) {
    if (r.goal() != null && r.goal().getState() == NodeState.FENCED) {
      return false;
    }
    return !(r.state() == NodeState.FENCED && r.fencedGeneration() > 0 && r.fencedGeneration() >= r.goalGeneration());
  }

  /**
   * As {@link #mayStart(NodeRecord)}, and a lease fence is also lifted by a renewal: the controller re-sends the same
   * PRIMARY goal with a fresh lease only while it still wants this node primary (it changes the goal before
   * promoting another). {@code enforced} is the lease as enforced (already shortened by the margin).
   */
  public static boolean mayStart(NodeRecord r, Lease enforced, long nowNanos) {
    if (mayStart(r)) {
      return true;
    }
    return r.goal() != null && r.goal().getState() == NodeState.PRIMARY && enforced.granted() && !enforced.expired(nowNanos);
  }

  /**
   * The record with its lease fence lifted: back to PRIMARY (a lease fence is only ever taken from PRIMARY), so the
   * converger's reconcile starts PostgreSQL again as a primary.
   */
  public static NodeRecord lift(NodeRecord r) {
    return new NodeRecord(NodeState.PRIMARY, r.fencedGeneration(), r.goal(), "", List.of(), r.restartRequired(), 0);
  }
}
