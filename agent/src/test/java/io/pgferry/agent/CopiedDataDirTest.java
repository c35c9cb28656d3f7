package io.pgferry.agent;

import static io.pgferry.agent.AgentFixture.await;
import static io.pgferry.agent.AgentFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.common.Command;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * PG 17 (no pg_basebackup 17 here): a standby made from a copy of a stopped primary's data dir gets its recovery
 * config from the agent, streams, and is promoted. A data dir holding another cluster is refused.
 */
class CopiedDataDirTest {
  private static final Duration T = Duration.ofSeconds(90);

  @Test
  void pg17CopyOfStoppedPrimaryBecomesStandbyThenPrimary() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(17);
    try (Workspace ws = Workspace.create("copy17"); PgCluster primary = PgCluster.start(ws, "primary", 17)) {
      primary.execute("create table t(id int primary key)", "insert into t values (1)");
      primary.stop();
      AgentConfig cfg = AgentFixture.config(ws, "b", bin);
      Command.of("cp", "-a", primary.dataDir().toString(), cfg.postgres().dataDir().toString()).as("postgres").runChecked();
      Files.deleteIfExists(cfg.postgres().dataDir().resolve("postmaster.pid"));
      primary.start();
      primary.execute("insert into t values (2)");

      PgCluster other = PgCluster.init(ws, "other", bin, Map.of());
      AgentConfig otherCfg = AgentFixture.config(ws, "other", bin);
      AgentConfig emptyCfg = AgentFixture.config(ws, "empty", bin);
      try (PgCluster bPg = AgentFixture.adopt(cfg, bin);
           NodeAgent b = new NodeAgent(cfg, AgentFixture.fastOptions()).start();
           NodeAgent wrong = new NodeAgent(otherCfg, AgentFixture.fastOptions()).start();
           NodeAgent empty = new NodeAgent(emptyCfg, AgentFixture.fastOptions()).start()) {
        assertEquals(NodeState.STOPPED, b.record().state());
        b.onAssignment(AgentFixture.standbyOf(1, primary), OptionalLong.empty());
        wrong.onAssignment(AgentFixture.standbyOf(1, primary), OptionalLong.empty());
        empty.onAssignment(AgentFixture.standbyOf(1, primary), OptionalLong.empty());

        awaitState(b, NodeState.STREAMING_STANDBY, T);
        assertEquals(0, b.pgBaseBackupRuns());
        assertTrue(Files.exists(cfg.postgres().dataDir().resolve("standby.signal")));
        String managed = Files.readString(cfg.postgres().dataDir().resolve("pgferry.conf"));
        assertTrue(managed.contains("primary_conninfo = 'host=127.0.0.1 port=" + primary.port() + " user=postgres application_name=b'"), managed);
        primary.execute("insert into t values (3)");
        await("row 3 on b", T, () -> "3".equals(StreamingStandbyTest.query(bPg, "select max(id) from t")), bPg::log);

        await("the other cluster refused", T, () -> wrong.status().getLastError().contains("holds a different cluster"),
            () -> wrong.status().toString());
        assertEquals(NodeState.FAILED, wrong.status().getState());
        assertEquals(0, wrong.pgBaseBackupRuns());
        assertTrue(!other.isRunning());
        await("no pg_basebackup 17 here", T, () -> empty.status().getLastError().contains("no base backup method here supports PostgreSQL 17"),
            () -> empty.status().toString());
        assertTrue(empty.status().getLastError().contains("use base_backup_method ARCHIVE"), empty.status().getLastError());

        primary.stop();
        b.onAssignment(AgentFixture.goal(2, NodeState.PRIMARY), OptionalLong.empty());
        awaitState(b, NodeState.PRIMARY, T);
        await("timeline 2", T, () -> b.status().getTimeline() == 2, () -> b.status().toString());
        bPg.execute("insert into t values (4)");
        assertEquals("4", bPg.queryValue("select count(*) from t"));

        // a PRIMARY whose lease runs out fences itself (its goal names a standby: a primary alone would serve on,
        // docs/failsafe.md); a renewal of the same goal lifts the fence
        Goal leased = AgentFixture.goal(3, NodeState.PRIMARY).toBuilder().setFailsafeStandby("c").build();
        b.onAssignment(leased, OptionalLong.of(System.nanoTime() + 1_500_000_000L));
        await("lease held", T, () -> b.status().getLeaseValid() && b.record().converged(), () -> b.status().toString());
        await("b fenced", T, () -> b.status().getState() == NodeState.FENCED && b.record().state() == NodeState.FENCED,
            () -> b.status().toString());
        assertTrue(!bPg.isRunning());
        assertTrue(b.status().getFenced());
        b.onAssignment(leased, OptionalLong.of(System.nanoTime() + 60_000_000_000L));
        awaitState(b, NodeState.PRIMARY, T);
        assertTrue(bPg.isRunning(), "renewed: running again");

        b.onAssignment(AgentFixture.goal(4, NodeState.STOPPED), OptionalLong.empty());
        awaitState(b, NodeState.STOPPED, T);
        assertTrue(!bPg.isRunning());
      }
    }
  }
}
