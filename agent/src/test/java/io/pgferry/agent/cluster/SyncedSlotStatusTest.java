package io.pgferry.agent.cluster;

import io.pgferry.agent.access.LocalAccess;
import io.pgferry.testkit.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.pgferry.agent.slots.FailoverSlotCheck;
import io.pgferry.agent.CopiedStandby;
import io.pgferry.proto.Slot;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * PG 17: the slot sync worker creates a synced slot as temporary and persists it only once the primary's slot has
 * caught up with what the standby can keep ("remote slot precedes local slot"); a promotion drops it while temporary.
 * Status's Slot.synced (what the controller waits for before it counts on a failover without a re-sync) must stay
 * false until then, although pg_replication_slots.synced is already true.
 */
class SyncedSlotStatusTest {
  private static final Duration T = Duration.ofSeconds(60);

  @Test
  void aTemporarySyncedSlotIsNotReportedSynced() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(17);
    try (Workspace ws = Workspace.create("synced-slot-status");
         PgCluster a = PgCluster.init(ws, "a", bin, Map.of("wal_level", "logical")).start()) {
      a.execute("create table t(id int)", "select pg_create_physical_replication_slot('b_phys')",
          "select pg_create_logical_replication_slot('sub1', 'pgoutput', false, false, true)");
      // xids the slot never saw: the standby's local copy starts with a newer catalog_xmin than the primary's slot
      for (int i = 0; i < 20; i++) {
        a.execute("insert into t values (" + i + ")");
      }
      try (PgCluster b = standbyOf(ws, a); LocalPostgres local = new LocalPostgres(LocalAccess.of(b.dataDir(), b.socketDir(), b.port()))) {
        await("the sync worker to create sub1 on b", () -> "t".equals(b.queryValue(
            "select synced::text from pg_replication_slots where slot_name = 'sub1'").substring(0, 1)), b);
        assertEquals("true", b.queryValue("select temporary::text from pg_replication_slots where slot_name = 'sub1'"),
            "sub1 still temporary: nothing consumed the primary's slot");
        assertFalse(reported(local).orElseThrow().getSynced(), "a temporary synced slot is not usable after a promotion");
        try (Connection c = local.connect()) {
          assertFalse(FailoverSlotCheck.check(c, "sub1").synced(), "the slot guard agrees");
        }

        // the subscriber confirms: the primary's slot moves past the standby's horizon and the copy is persisted
        await("sub1 reported synced once persistent", () -> {
          a.execute("insert into t values (0)", "select pg_log_standby_snapshot()",
              "select pg_replication_slot_advance('sub1', pg_current_wal_lsn())");
          return reported(local).map(Slot::getSynced).orElse(false);
        }, b);
        assertEquals("false", b.queryValue("select temporary::text from pg_replication_slots where slot_name = 'sub1'"));
      }
    }
  }

  private static Optional<Slot> reported(LocalPostgres local) {
    return local.observe(System.nanoTime(), true).slots().stream().filter(s -> s.getName().equals("sub1")).findFirst();
  }

  /** A streaming standby of {@code a} that syncs failover slots. */
  private static PgCluster standbyOf(Workspace ws, PgCluster a) {
    return CopiedStandby.of(ws, a, " dbname=postgres", Map.of("hot_standby_feedback", "on", "sync_replication_slots", "on"));
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private static void await(String what, Check check, PgCluster b) {
    Await.until(what, T, Duration.ofMillis(200), check::ok, () -> "b: " + b.queryValue(
        "select string_agg(slot_name || ' synced=' || synced || ' temporary=' || temporary, ', ') from pg_replication_slots"));
  }
}
