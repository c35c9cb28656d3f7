package io.pgferry.agent.slots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.cluster.PgCtl;
import io.pgferry.agent.AgentFixture;
import io.pgferry.agent.CopiedStandby;
import io.pgferry.common.Lsn;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * PG 15: after a promotion, the copied slot on B decodes every commit after its confirmed_flush_lsn. A's slot
 * restarts at a running_xacts record that lists a running transaction, and A logs no other such record before the
 * promotion (bgwriter logs one every 15 s at most). A copy whose decoding on B starts from scratch there (no
 * serialized snapshot at its restart_lsn on B) finds no consistent point before the promotion and skips every commit
 * until then, so the rows A committed after the copy's confirmed_flush_lsn never reach the subscriber: how
 * LogicalFailoverTest lost rows under load.
 */
class SlotKeeperDecodingStartTest {
  private static final Duration T = Duration.ofSeconds(90);

  @Test
  void promotedCopyDecodesEveryCommitAfterItsConfirmedFlush() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("slot-keeper-start");
         PgCluster a = PgCluster.init(ws, "a", bin, Map.of("wal_level", "logical")).start()) {
      a.execute("create table t(id int primary key)", "create publication p for table t",
          "select pg_create_physical_replication_slot('b_phys')",
          "select pg_create_logical_replication_slot('s', 'pgoutput')");
      try (PgCluster b = standbyOf(ws, a);
           Connection held = a.connect()) {
        held.setAutoCommit(false);
        try (Statement st = held.createStatement()) {
          st.execute("select txid_current()");
        }
        // the consumer moves A's slot to a snapshot A serialized while the held transaction ran
        a.execute("insert into t values (1)", "checkpoint", "insert into t values (2)");
        assertEquals(2, consume(a));
        Lsn restart = Lsn.parse(a.queryValue("select restart_lsn from pg_replication_slots where slot_name = 's'"));

        SlotKeeper keeper = new SlotKeeper(new SlotKeeper.Options("s", "b_phys", b.dataDir(), Workspace.PG_USER,
            Duration.ofMillis(200)), connector(a), connector(b),
            ClusterControl.of(new PgCtl(bin.binDir(), b.dataDir(), Workspace.PG_USER))).start();
        try {
          await("a copy", () -> keeper.status().copies() > 0, () -> keeper.status().toString());
          // from here A logs no running_xacts record for 15 s (bgwriter) unless a checkpoint runs: decoding that
          // starts from scratch at the copy's restart_lsn on B stays short of a consistent point until the promotion
          held.commit();
          await("a safe copy", () -> keeper.status().synced(), () -> keeper.status().toString());
          a.execute("insert into t select generate_series(3, 12)");
          assertEquals(10, consume(a));
          Lsn confirmed = Lsn.parse(a.queryValue("select confirmed_flush_lsn from pg_replication_slots where slot_name = 's'"));
          await("the copy advanced to " + confirmed, () -> keeper.status().copyConfirmedFlushLsn().compareTo(confirmed) >= 0
              && keeper.status().synced(), () -> keeper.status() + "; B replay " + b.queryValue("select pg_last_wal_replay_lsn()"));
          System.out.println("copy " + keeper.status() + "; primary restart_lsn " + restart);
        } finally {
          keeper.close();
        }
        // committed on A after the copy's confirmed_flush: the subscriber has not confirmed them yet
        a.execute("insert into t select generate_series(13, 22)");
        Lsn end = Lsn.parse(a.queryValue("select pg_current_wal_flush_lsn()"));
        await("B replayed " + end, () -> Lsn.parse(b.queryValue("select pg_last_wal_replay_lsn()")).compareTo(end) >= 0,
            () -> b.queryValue("select pg_last_wal_replay_lsn()"));
        a.kill9();
        b.promote();
        await("B writable", () -> "f".equals(b.queryValue("select pg_is_in_recovery()")), () -> "");

        assertEquals(10, inserts(b, false), "B's copy decodes the 10 rows A committed after its confirmed_flush_lsn; "
            + "B's slot: " + b.queryValue("select restart_lsn || ' ' || confirmed_flush_lsn from pg_replication_slots "
            + "where slot_name = 's'") + "\n" + tail(b));
        b.execute("insert into t select generate_series(23, 32)");
        assertEquals(20, inserts(b, true), "and the rows written on B after the promotion");
      }
    }
  }

  /** The state file's restart_lsn as {@link SlotFiles} reads it is the one PostgreSQL reports. */
  @Test
  void readsRestartLsnFromTheStateFile() throws Exception {
    try (Workspace ws = Workspace.create("slot-state");
         PgCluster a = PgCluster.init(ws, "a", PgBinaries.forMajor(15), Map.of("wal_level", "logical")).start()) {
      a.execute("select pg_create_logical_replication_slot('s', 'pgoutput')", "checkpoint");
      try (Connection c = a.connect(); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("select restart_lsn::text, pg_read_binary_file('pg_replslot/s/state') "
               + "from pg_replication_slots where slot_name = 's'")) {
        assertTrue(rs.next());
        assertEquals(Lsn.parse(rs.getString(1)), SlotFiles.restartLsn(rs.getBytes(2)));
      }
    }
  }

  private static PgCluster standbyOf(Workspace ws, PgCluster a) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("log_min_messages", "debug1");
    SlotSettings.copiedSlotStandby().forEach((k, v) -> s.put(k, "'" + v + "'"));
    return CopiedStandby.of(ws, a, "", s);
  }

  private static Connector connector(PgCluster c) {
    return Connector.of("127.0.0.1", c.port(), "postgres", null);
  }

  /** Consumes the slot on {@code c} (as a subscriber that confirms everything); returns the inserts it got. */
  private static int consume(PgCluster c) {
    return Integer.parseInt(c.queryValue("select count(*) from pg_logical_slot_get_binary_changes('s', null, null, "
        + "'proto_version', '1', 'publication_names', 'p') where get_byte(data, 0) = 73"));
  }

  private static int inserts(PgCluster c, boolean consume) {
    return Integer.parseInt(c.queryValue("select count(*) from pg_logical_slot_" + (consume ? "get" : "peek")
        + "_binary_changes('s', null, null, 'proto_version', '1', 'publication_names', 'p') where get_byte(data, 0) = 73"));
  }

  private static String tail(PgCluster c) {
    String log = c.log();
    return log.substring(Math.max(0, log.length() - 4000));
  }

  private static void await(String what, BooleanSupplier condition, Supplier<String> diagnostics) {
    AgentFixture.await(what, T, condition, diagnostics);
  }
}
