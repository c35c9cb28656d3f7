package io.pgferry.controller.failover;

import static io.pgferry.controller.failover.FailoverClusters.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.sql.slots.PhysicalSlots;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The slot operations add-standby and StandbySlotSetup share, on a real PostgreSQL (a walsender from pg_receivewal). */
class PhysicalSlotsTest {
  private static final Duration T = Duration.ofSeconds(30);

  @Test
  void createIsIdempotentRenewReplacesOnlyAnInactiveSlot() throws Exception {
    try (Workspace ws = Workspace.create("physical-slots");
         PgCluster pg = PgCluster.init(ws, "p", PgBinaries.forMajor(15), Map.of()).start();
         Connection c = pg.connect()) {
      assertEquals(PhysicalSlots.Outcome.CREATED, PhysicalSlots.create(c, "pgferry_a"));
      assertEquals(PhysicalSlots.Outcome.EXISTED, PhysicalSlots.create(c, "pgferry_a"));
      String before = restartLsn(pg, "pgferry_a");
      assertTrue(!before.isEmpty(), "WAL reserved at creation");

      pg.execute("create table t as select g from generate_series(1, 10000) g", "select pg_switch_wal()", "checkpoint");
      assertEquals(PhysicalSlots.Outcome.RENEWED, PhysicalSlots.renew(c, "pgferry_a"), "inactive: dropped and created");
      String after = restartLsn(pg, "pgferry_a");
      assertEquals("t", pg.queryValue("select '" + after + "'::pg_lsn > '" + before + "'::pg_lsn"),
          "the renewed slot reserves from now (" + before + " -> " + after + ")");
      assertEquals(PhysicalSlots.Outcome.CREATED, PhysicalSlots.renew(c, "pgferry_b"), "missing: created");

      Path wal = ws.dir("receivewal");
      Process receiver = new ProcessBuilder(pg.binaries().bin("pg_receivewal").toString(), "-h", "127.0.0.1", "-p",
          String.valueOf(pg.port()), "-U", "postgres", "-S", "pgferry_a", "-D", wal.toString(), "--no-loop", "-w")
          .redirectErrorStream(true).redirectOutput(ws.root().resolve("receivewal.log").toFile()).start();
      try {
        await("pg_receivewal uses pgferry_a", T, () -> "true".equals(activeOf(pg, "pgferry_a")), () -> "");
        String pid = pg.queryValue("select active_pid from pg_replication_slots where slot_name = 'pgferry_a'");
        assertEquals(PhysicalSlots.Outcome.KEPT, PhysicalSlots.renew(c, "pgferry_a"), "active: kept");
        assertEquals(pid, pg.queryValue("select active_pid from pg_replication_slots where slot_name = 'pgferry_a'"));
      } finally {
        receiver.destroy();
        receiver.waitFor();
      }
    }
  }

  private static String restartLsn(PgCluster pg, String slot) {
    return pg.queryValue("select coalesce(restart_lsn::text, '') from pg_replication_slots where slot_name = '" + slot + "'");
  }

  private static String activeOf(PgCluster pg, String slot) {
    return pg.queryValue("select coalesce(bool_or(active)::text, 'false') from pg_replication_slots where slot_name = '" + slot + "'");
  }
}
