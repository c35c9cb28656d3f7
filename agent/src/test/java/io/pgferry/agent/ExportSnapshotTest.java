package io.pgferry.agent;

import static io.pgferry.agent.AgentFixture.await;
import static io.pgferry.agent.AgentFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.fence.LeasePolicy;
import io.pgferry.proto.ExportSnapshot;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HeldSnapshot;
import io.pgferry.proto.NodeState;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A PRIMARY's agent asked by its goal (export_snapshot) creates the logical slot over a replication connection to its
 * own PostgreSQL (local socket, peer: the managed pg_hba's replication line) and holds the exported snapshot: another
 * session imports it and sees the rows as of the slot's consistent point, not those written later. The agent reports
 * it in Status.held_snapshot, lets go when the goal stops asking (the slot stays), never creates twice for one attempt
 * (not even after its own restart), refuses an attempt whose slot exists already, and lets go when the node leaves
 * PRIMARY.
 */
class ExportSnapshotTest {
  private static final Duration T = Duration.ofSeconds(60);

  @ParameterizedTest
  @ValueSource(ints = {11, 15, 17})
  void theAgentHoldsAnImportableSnapshotUntilTheGoalLetsGo(int major) throws Exception {
    PgBinaries bin = PgBinaries.forMajor(major);
    try (Workspace ws = Workspace.create("export-snapshot-" + major);
         PgCluster pg = PgCluster.init(ws, "a", bin, Map.of("wal_level", "logical")).start()) {
      pg.execute("create table items(id int primary key)", "insert into items select generate_series(1, 100)");
      AgentConfig base = AgentFixture.config(ws, "a", bin, pg.port());
      AgentConfig cfg = new AgentConfig(base.nodeId(), base.controller(), base.tls(), withSocket(base.postgres(), pg),
          base.archive(), base.stateDir(), base.http(), base.log(), base.goals());
      Goal primary = AgentFixture.goal(1, NodeState.PRIMARY);
      ExportSnapshot first = asked("copy-first", major >= 17);
      HeldSnapshot held;
      try (NodeAgent a = new NodeAgent(cfg, AgentFixture.fastOptions()).start()) {
        assertTrue(a.hello().getCapabilitiesList().contains(NodeAgent.EXPORT_SNAPSHOT_CAPABILITY));
        a.onAssignment(primary, OptionalLong.empty());
        awaitState(a, NodeState.PRIMARY, T);
        assertFalse(a.status().hasHeldSnapshot(), "no goal asked: nothing reported");

        a.onAssignment(primary.toBuilder().setGeneration(2).setExportSnapshot(first).build(), OptionalLong.empty());
        held = awaitHeld(a, "copy-first");
        assertEquals("pgferry_sub", held.getSlotName());
        assertTrue(held.getHeldSinceUnixMs() > 0);
        pg.execute("insert into items select generate_series(101, 150)");
        assertEquals(100, countUnder(pg, held.getSnapshotName()), "the snapshot sees the rows before the slot's point only");
        assertEquals(100, countUnder(pg, held.getSnapshotName()), "and can be imported again and again while held");
        assertEquals(held.getConsistentLsn(), pg.queryValue("select confirmed_flush_lsn from pg_replication_slots where slot_name = 'pgferry_sub'"),
            "the reported consistent point is the slot's");
        if (major >= 17) {
          assertEquals("t", pg.queryValue("select failover from pg_replication_slots where slot_name = 'pgferry_sub'"));
        }

        a.onAssignment(primary.toBuilder().setGeneration(3).build(), OptionalLong.empty());
        await("the agent to let go", T, () -> !a.status().hasHeldSnapshot(), () -> a.status().toString());
        assertThrows(SQLException.class, () -> countUnder(pg, held.getSnapshotName()), "let go: the snapshot is gone");
        assertEquals("1", pg.queryValue("select count(*) from pg_replication_slots where slot_name = 'pgferry_sub'"), "the slot stays");

        a.onAssignment(primary.toBuilder().setGeneration(4).setExportSnapshot(first).build(), OptionalLong.empty());
        HeldSnapshot again = awaitError(a, "copy-first");
        assertTrue(again.getError().contains("tried before"), again.getError());

        a.onAssignment(primary.toBuilder().setGeneration(5).setExportSnapshot(asked("copy-second", false)).build(), OptionalLong.empty());
        HeldSnapshot exists = awaitError(a, "copy-second");
        assertTrue(exists.getError().contains("exists already"), exists.getError());

        pg.execute("select pg_drop_replication_slot('pgferry_sub')");
        a.onAssignment(primary.toBuilder().setGeneration(6).setExportSnapshot(asked("copy-third", false)).build(), OptionalLong.empty());
        HeldSnapshot third = awaitHeld(a, "copy-third");
        assertEquals(150, countUnder(pg, third.getSnapshotName()));
      }
      // the agent stopped: its connection, and the snapshot, went with it; a new agent process holding the same goal
      // does not create again under that attempt (the slot exists, the rows copied under it would not match a new one)
      try (NodeAgent a = new NodeAgent(cfg, AgentFixture.fastOptions()).start()) {
        a.onAssignment(primary.toBuilder().setGeneration(6).setExportSnapshot(asked("copy-third", false)).build(), OptionalLong.empty());
        awaitState(a, NodeState.PRIMARY, T);
        HeldSnapshot lost = awaitError(a, "copy-third");
        assertTrue(lost.getError().contains("tried before"), lost.getError());

        // a node that leaves PRIMARY (here: fenced, its lease ran out) lets go of the snapshot it holds
        pg.execute("select pg_drop_replication_slot('pgferry_sub')");
        a.leasePolicy(LeasePolicy.CONTROLLED);
        // naming a standby: a primary alone would serve on past its lease (docs/failsafe.md)
        Goal fourth = primary.toBuilder().setGeneration(7).setFailsafeStandby("b").setExportSnapshot(asked("copy-fourth", false)).build();
        a.onAssignment(fourth, OptionalLong.of(System.nanoTime() + 120_000_000_000L));
        awaitHeld(a, "copy-fourth");
        a.onAssignment(fourth, OptionalLong.of(System.nanoTime() + 1_000_000_000L));
        HeldSnapshot fenced = awaitError(a, "copy-fourth");
        assertTrue(fenced.getError().contains("left PRIMARY"), fenced.getError());
        await("the node fenced", T, () -> a.record().state() == NodeState.FENCED, () -> a.record().toString());
      }
    }
  }

  private static AgentConfig.Postgres withSocket(AgentConfig.Postgres p, PgCluster pg) {
    return new AgentConfig.Postgres(p.binDir(), p.dataDir(), p.port(), p.host(), p.listenAddresses(), pg.socketDir(), p.osUser(),
        p.replicationUser(), p.passwordFile(), p.settings(), p.tls());
  }

  private static ExportSnapshot asked(String attempt, boolean failover) {
    return ExportSnapshot.newBuilder().setAttempt(attempt).setSlotName("pgferry_sub").setPlugin("pgoutput").setDatabase("postgres")
        .setFailover(failover).build();
  }

  private static HeldSnapshot awaitHeld(NodeAgent a, String attempt) {
    await("a snapshot held for " + attempt, T, () -> {
      HeldSnapshot h = a.status().getHeldSnapshot();
      return h.getAttempt().equals(attempt) && (!h.getSnapshotName().isEmpty() || !h.getError().isEmpty());
    }, () -> a.status().toString());
    HeldSnapshot h = a.status().getHeldSnapshot();
    assertEquals("", h.getError());
    return h;
  }

  private static HeldSnapshot awaitError(NodeAgent a, String attempt) {
    await("an error for " + attempt, T, () -> a.status().getHeldSnapshot().getAttempt().equals(attempt)
        && !a.status().getHeldSnapshot().getError().isEmpty(), () -> a.status().toString());
    return a.status().getHeldSnapshot();
  }

  private static long countUnder(PgCluster pg, String snapshot) throws SQLException {
    try (Connection c = pg.connect()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
        st.execute("SET TRANSACTION SNAPSHOT '" + snapshot + "'");
        try (var rs = st.executeQuery("select count(*) from items")) {
          rs.next();
          return rs.getLong(1);
        } finally {
          c.rollback();
        }
      }
    }
  }
}
