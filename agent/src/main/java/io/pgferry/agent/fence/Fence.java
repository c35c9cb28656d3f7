package io.pgferry.agent.fence;

import io.pgferry.agent.cluster.PgCtl;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.proto.NodeState;

/**
 * Keeps a node from accepting writes: PostgreSQL is stopped (fast) and not started again until a goal newer than
 * the one it was fenced under arrives. Minimal on purpose; the failover work hardens it (read-only first, ending
 * sessions).
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
}
