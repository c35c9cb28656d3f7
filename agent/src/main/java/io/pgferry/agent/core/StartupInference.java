package io.pgferry.agent.core;

import io.pgferry.agent.cluster.LocalPostgres;
import io.pgferry.agent.cluster.PgCtl;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.config.DataDir;
import io.pgferry.proto.NodeState;
import java.nio.file.Path;
import java.sql.SQLException;

/** The state of a node the agent manages for the first time (no state file yet), read from its data dir. */
public final class StartupInference {
  private StartupInference() {}

  /** EMPTY without a cluster, STOPPED when not running (or not answering), else STREAMING_STANDBY or PRIMARY. */
  public static NodeState infer(AgentConfig.Postgres pg) {
    Path dataDir = pg.dataDir();
    if (!DataDir.holdsCluster(dataDir)) {
      return NodeState.EMPTY;
    }
    if (!new PgCtl(pg.binDir(), dataDir, pg.osUser()).isRunning()) {
      return NodeState.STOPPED;
    }
    try (LocalPostgres local = new LocalPostgres(pg.localAccess())) {
      return local.isInRecovery() ? NodeState.STREAMING_STANDBY : NodeState.PRIMARY;
    } catch (SQLException e) {
      return NodeState.STOPPED; // running but not answering: the first transition finds out more
    }
  }
}
