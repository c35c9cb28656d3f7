package io.pgferry.agent.slots;

import io.pgferry.agent.cluster.PgCtl;

/**
 * Stops and starts the standby around a slot copy (slots are loaded only at start). The agent routes this through
 * its converger so a reconcile does not restart PostgreSQL in the middle of a copy; tests use pg_ctl directly.
 */
public interface ClusterControl {
  void stop() throws Exception;

  void start() throws Exception;

  static ClusterControl of(PgCtl pgCtl) {
    return new ClusterControl() {
      @Override
      public void stop() {
        pgCtl.stopFast();
      }

      @Override
      public void start() {
        pgCtl.start();
      }
    };
  }
}
