package io.pgferry.controller.failover;

import static io.pgferry.controller.failover.FailoverClusters.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.sql.failover.SyncDurability;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** B synchronous: with B down a commit on A waits; dropping to async releases it within a bound. */
class SyncDurabilityTest {
  private static final Duration T = Duration.ofSeconds(30);

  @Test
  void commitWaitsForLostStandbyUntilDropToAsync() throws Exception {
    try (Workspace ws = Workspace.create("sync-durability");
         PgCluster a = PgCluster.init(ws, "a", PgBinaries.forMajor(15), Map.of()).start()) {
      a.execute("create table t(id int primary key)");
      try (PgCluster b = FailoverClusters.standbyOf(ws, a, "b", "b_slot", Map.of())) {
        assertTrue(SyncDurability.sync(a::connect, "b", Duration.ofSeconds(10)).run());
        assertFalse(SyncDurability.sync(a::connect, "b", Duration.ofSeconds(10)).run(), "already sync: nothing to do");
        try (Connection c = a.connect()) {
          assertEquals(SyncDurability.Mode.SYNC, SyncDurability.mode(c));
        }
        await("b is the sync standby", T, () -> "sync".equals(a.queryValue(
            "select sync_state from pg_stat_replication where application_name = 'b'")), () -> "");
        a.execute("insert into t values (1)"); // commits while B is there

        b.stop();
        CompletableFuture<Long> commit = CompletableFuture.supplyAsync(() -> {
          try (Connection c = a.connect(); Statement st = c.createStatement()) {
            st.execute("insert into t values (2)");
            return System.nanoTime();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        await("the commit waits for B (wait_event SyncRep)", T, () -> "1".equals(a.queryValue(
            "select count(*) from pg_stat_activity where wait_event = 'SyncRep'")), () -> "");
        assertFalse(commit.isDone(), "a commit must not return while its synchronous standby is down");

        long dropAt = System.nanoTime();
        assertTrue(SyncDurability.async(a::connect, Duration.ofSeconds(10)).run());
        long returnedAt = commit.get(10, TimeUnit.SECONDS);
        long ms = (returnedAt - dropAt) / 1_000_000;
        System.out.println("commit returned " + ms + " ms after the drop to async began");
        assertTrue(ms < 3000, "released within 3 s of the drop to async, took " + ms + " ms");
        try (Connection c = a.connect()) {
          assertEquals(SyncDurability.Mode.ASYNC, SyncDurability.mode(c));
        }
        a.execute("insert into t values (3)"); // async: returns with B still down
        assertEquals("3", a.queryValue("select count(*) from t"));
      }
    }
  }
}
