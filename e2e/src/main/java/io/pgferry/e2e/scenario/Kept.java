package io.pgferry.e2e.scenario;

import io.pgferry.testkit.PgCluster;
import java.util.List;

/**
 * What a `./demo --keep` run leaves running, written to the work dir so `./demo --clean` can stop it: daemon pids
 * (controller, agents, PgBouncer) and PostgreSQL data dirs with the pg_ctl that stops them.
 */
public record Kept(String workDir, String controllerUrl, List<Long> pids, List<Cluster> clusters) {
  public record Cluster(String name, String pgCtl, String dataDir, int port) {
    static Cluster of(PgCluster c) {
      return new Cluster(c.name(), c.binaries().bin("pg_ctl").toString(), c.dataDir().toString(), c.port());
    }
  }
}
