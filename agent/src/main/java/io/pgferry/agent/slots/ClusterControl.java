package io.pgferry.agent.slots;

import io.pgferry.agent.cluster.PgCtl;

/**
 * Runs an action while the standby is stopped, then starts it again (slots are loaded only at start). The agent
 * routes this through its converger ({@code Converger.whileStopped}) so no transition or reconcile runs meanwhile
 * and a fenced or changed node is not started behind its back; tests use pg_ctl directly.
 */
@FunctionalInterface
public interface ClusterControl {
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  void whileStopped(Action action) throws Exception;

  static ClusterControl of(PgCtl pgCtl) {
    return action -> {
      pgCtl.stopFast();
      try {
        action.run();
      } finally {
        pgCtl.start();
      }
    };
  }
}
