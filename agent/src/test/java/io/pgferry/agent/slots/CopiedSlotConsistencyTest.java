package io.pgferry.agent.slots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.pgferry.agent.cluster.PgCtl;
import io.pgferry.common.Command;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * PG 11-16: a copied slot must decode on the promoted standby from where the subscriber stopped. The copy's
 * restart_lsn points before a transaction that was running there; the primary decodes from it consistently thanks to
 * the snapshot it serialized (pg_logical/snapshots), the standby has no such file. Without it, decoding on the
 * promoted standby becomes consistent only at its first xl_running_xacts without running transactions, and every
 * commit before that point is silently skipped (seen as T never catching up in LogicalFailoverTest).
 */
class CopiedSlotConsistencyTest {
  private static final Duration T = Duration.ofSeconds(60);

  @Test
  void commitsRightAfterPromotionAreDecodedFromTheCopy() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("copied-slot-consistency");
         PgCluster a = PgCluster.init(ws, "a", bin, Map.of()).start()) {
      a.execute("create table t(id int primary key)", "create publication p for all tables",
          "select pg_create_physical_replication_slot('b_phys')", "select pg_create_logical_replication_slot('sub1', 'pgoutput')");
      try (PgCluster b = standbyOf(ws, a)) {
        try (Connection longTx = a.connect(); Statement lt = longTx.createStatement()) {
          // a transaction open across the subscriber's position: the slot's restart_lsn stays before it
          longTx.setAutoCommit(false);
          lt.execute("insert into t values (0)");
          for (int i = 1; i <= 3; i++) {
            a.execute("insert into t values (" + i + ")", "checkpoint",
                "select pg_replication_slot_advance('sub1', pg_current_wal_lsn())");
          }
          String applied = a.queryValue("select confirmed_flush_lsn::text from pg_replication_slots where slot_name = 'sub1'");
          await("b to replay " + applied, () -> "t".equals(b.queryValue("select (pg_last_wal_replay_lsn() >= '" + applied
              + "')::text").substring(0, 1)));
          try (SlotKeeper keeper = new SlotKeeper(new SlotKeeper.Options("sub1", "b_phys", b.dataDir(), Workspace.PG_USER,
              Duration.ofMillis(200)), Connector.of("127.0.0.1", a.port(), "postgres", null),
              Connector.of("127.0.0.1", b.port(), "postgres", null),
              ClusterControl.of(new PgCtl(bin.binDir(), b.dataDir(), Workspace.PG_USER)))) {
            keeper.start();
            await("a safe copy of sub1 on b", () -> keeper.status().synced()
                && keeper.status().copyConfirmedFlushLsn().toString().equals(applied));
          }
          a.kill9(); // the open transaction dies with a
        }
        b.promote();
        await("b writable", () -> "f".equals(b.queryValue("select pg_is_in_recovery()::text").substring(0, 1)));
        for (int i = 101; i <= 103; i++) {
          b.execute("insert into t values (" + i + ")");
        }
        // what the subscriber would receive from b now: the three commits on b, nothing skipped
        assertEquals("3", b.queryValue("select count(*) from pg_logical_slot_peek_binary_changes('sub1', null, null,"
            + " 'proto_version', '1', 'publication_names', 'p') where substr(data, 1, 1) = '\\x49'::bytea"),
            "inserts decoded from the copied slot on the promoted standby");
      }
    }
  }

  /** A streaming standby of {@code a} (physical slot b_phys, feedback on), from a copy of a's stopped data dir. */
  private static PgCluster standbyOf(Workspace ws, PgCluster a) {
    a.stop();
    Path dir = ws.root().resolve("b");
    Command.of("cp", "-a", a.dataDir().toString(), dir.toString()).as(Workspace.PG_USER).runChecked();
    Command.of("sh", "-c", "rm -rf " + dir + "/pg_replslot/* " + dir + "/postmaster.pid " + dir + "/postmaster.opts")
        .as(Workspace.PG_USER).runChecked();
    a.start();
    int port = FreePorts.next();
    PgCluster b = PgCluster.adopt("b", a.binaries(), dir, port);
    Map<String, String> s = new LinkedHashMap<>();
    s.put("port", String.valueOf(port));
    s.put("primary_conninfo", "'host=127.0.0.1 port=" + a.port() + " user=postgres application_name=b'");
    s.put("primary_slot_name", "'b_phys'");
    SlotSettings.copiedSlotStandby().forEach((k, v) -> s.put(k, "'" + v + "'"));
    b.appendConf(s);
    Command.of("touch", dir.resolve("standby.signal").toString()).as(Workspace.PG_USER).runChecked();
    return b.start();
  }

  private static void await(String what, BooleanSupplier ok) throws InterruptedException {
    long deadline = System.nanoTime() + T.toNanos();
    while (true) {
      try {
        if (ok.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        // not yet (a restart of the standby)
      }
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }
}
