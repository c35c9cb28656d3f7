package io.pgferry.agent.archive.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.recovery.UpstreamTls;
import io.pgferry.archive.format.WalNames;
import io.pgferry.common.Lsn;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UpstreamWalGateTest {
  private static final long SEG = WalNames.DEFAULT_SEGMENT_SIZE;
  private static final Upstream UP = Upstream.newBuilder().setHost("127.0.0.1").setPort(5432).build();
  private static final Goal STANDBY = Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setUpstream(UP).build();

  @Test
  void servesOnlySegmentsTheUpstreamHoldsCompletely() {
    // upstream at 0/606ED48: segment 5 (ends at 0/6000000) is whole there, segment 6 is not
    UpstreamWalGate gate = new UpstreamWalGate(() -> STANDBY, u -> Lsn.parse("0/606ED48"));
    assertTrue(gate.holdBack("000000010000000000000005", SEG).isEmpty());
    String held = gate.holdBack("000000010000000000000006", SEG).orElseThrow();
    assertTrue(held.contains("0/606ED48"), held);
    assertFalse(gate.holdBack("000000010000000000000007", SEG).isEmpty());
  }

  @Test
  void servesEverythingWhenTheUpstreamCannotBeAskedOrThereIsNone() {
    UpstreamWalGate down = new UpstreamWalGate(() -> STANDBY, u -> {
      throw new SQLException("connection refused");
    });
    assertTrue(down.holdBack("0000000100000000000000FF", SEG).isEmpty(), "the archive is the fallback");
    Goal replica = Goal.newBuilder().setState(NodeState.ARCHIVE_REPLICA).build();
    AtomicInteger asked = new AtomicInteger();
    UpstreamWalGate archiveReplica = new UpstreamWalGate(() -> replica, u -> {
      asked.incrementAndGet();
      return Lsn.parse("0/0");
    });
    assertTrue(archiveReplica.holdBack("0000000100000000000000FF", SEG).isEmpty());
    assertEquals(0, asked.get(), "an archive replica has no upstream to ask");
  }

  @Test
  void asksARealServerOverTheReplicationProtocol() throws Exception {
    try (Workspace ws = Workspace.create("wal-gate"); PgCluster pg = PgCluster.start(ws, "up", 15)) {
      Upstream u = Upstream.newBuilder().setHost(pg.host()).setPort(pg.port()).setUser("postgres").build();
      Lsn flushed = Lsn.parse(pg.queryValue("select pg_current_wal_flush_lsn()"));
      Lsn seen = UpstreamWalGate.identifySystem(null, "postgres", UpstreamTls.NONE).of(u);
      assertTrue(seen.compareTo(flushed) >= 0, seen + " >= " + flushed);
    }
  }
}
