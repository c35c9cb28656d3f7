package io.pgferry.agent;

import static io.pgferry.agent.AgentFixture.await;
import static io.pgferry.agent.AgentFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.common.Lsn;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Slot;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.proto.NodeState;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * A STREAMING_STANDBY goal naming a logical slot of its upstream (PG 15): the agent copies the slot (restarting the
 * standby through its converger), keeps the copy advanced to the primary's confirmed_flush_lsn, and reports
 * Slot.synced in Status.
 */
class SlotGuardTest {
  private static final Duration T = Duration.ofSeconds(90);

  @Test
  void standbyKeepsACopyOfTheUpstreamsLogicalSlot() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("slot-guard");
         PgCluster a = PgCluster.init(ws, "a", bin, Map.of("wal_level", "logical")).start()) {
      a.execute("create table t(id int primary key)", "select pg_create_physical_replication_slot('b_phys')",
          "select pg_create_logical_replication_slot('sub1', 'pgoutput')");
      AgentConfig cfg = AgentFixture.config(ws, "b", bin);
      try (PgCluster bPg = AgentFixture.adopt(cfg, bin); NodeAgent b = new NodeAgent(cfg, AgentFixture.fastOptions()).start()) {
        Goal standby = AgentFixture.standbyOf(1, a);
        standby = standby.toBuilder().setUpstream(standby.getUpstream().toBuilder().setSlotName("b_phys"))
            .addLogicalSlots("sub1").build();
        b.onAssignment(standby, OptionalLong.empty());
        awaitState(b, NodeState.STREAMING_STANDBY, T);
        await("sub1 synced in Status", T, () -> synced(b), () -> b.slotGuard().verdicts() + " / " + b.status().getTransition());
        assertEquals("on", bPg.queryValue("show hot_standby_feedback"));
        assertTrue(b.slotGuard().verdicts().get("sub1").copies() >= 1);

        // the subscriber confirms more: the copy follows, without another copy (restart)
        a.execute("insert into t select generate_series(1, 1000)");
        String target = a.queryValue("select pg_current_wal_lsn()::text");
        a.execute("select pg_replication_slot_advance('sub1', '" + target + "')");
        await("the copy advanced to " + target, T, () -> {
          var v = b.slotGuard().verdicts().get("sub1");
          return v != null && v.copyConfirmedFlushLsn().compareTo(Lsn.parse(target)) >= 0;
        }, () -> b.slotGuard().verdicts().toString());
        await("still synced", T, () -> synced(b), () -> b.slotGuard().verdicts().toString());
        // a copy whose restart_lsn predates the standby's WAL is made again (58P01), so copies may be 2
        System.out.println("copies: " + b.slotGuard().verdicts().get("sub1").copies());
        assertEquals(NodeState.STREAMING_STANDBY, b.record().state());
      }
    }
  }

  private static boolean synced(NodeAgent b) {
    return b.status().getSlotsList().stream().anyMatch(s -> s.getName().equals("sub1") && s.getSynced());
  }
}
