package io.pgferry.controller.sql.logical;

import static io.pgferry.controller.sql.logical.AppDatabases.exec;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Lsn;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.DatabaseFence;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Cutover 2's catch-up on a PG 11 publisher once A is fenced: pgferry's own session writes the logical message in the
 * fenced (default read-only) database, T applies it and confirms the target. T reports its periodic status only
 * every 60 s here, so the confirmation must come from what T receives.
 */
class CatchUpTest {
  @Test
  void pg11PublisherFencedIsConfirmedWithoutThePeriodicStatus() throws Exception {
    try (Workspace ws = Workspace.create("catch-up-11");
         PgCluster a = PgCluster.init(ws, "a", PgBinaries.forMajor(11), Map.of("wal_level", "logical")).start();
         PgCluster t = PgCluster.init(ws, "t", PgBinaries.forMajor(15), Map.of("wal_receiver_status_interval", "60s")).start()) {
      a.execute("CREATE DATABASE appdb", "CREATE ROLE app LOGIN");
      t.execute("CREATE DATABASE appdb");
      PgEndpoint src = new PgEndpoint("127.0.0.1", a.port(), "appdb", "postgres", null);
      PgEndpoint dst = new PgEndpoint("127.0.0.1", t.port(), "appdb", "postgres", null);
      String ddl = "CREATE TABLE items (id bigserial PRIMARY KEY, v text)";
      exec(src, ddl, "INSERT INTO items (v) SELECT 'row ' || g FROM generate_series(1, 1000) g");
      exec(dst, ddl);
      new Publication(src, LogicalNames.DEFAULT.publication(), List.of()).run();
      new Subscription(dst, src, LogicalNames.DEFAULT.subscription(), LogicalNames.DEFAULT.slot(),
          LogicalNames.DEFAULT.publication(), true, false).run();
      SyncProgress progress = new SyncProgress(src, dst, LogicalNames.DEFAULT, Clock.systemUTC());
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!progress.snapshot().allReady()) {
        assertTrue(System.nanoTime() < deadline, "initial sync: " + progress.snapshot().sentence());
        Thread.sleep(100);
      }
      exec(src, "INSERT INTO items (v) SELECT 'more ' || g FROM generate_series(1, 100) g");

      new DatabaseFence(() -> src.connect(Purpose.FENCE), DatabaseFence.Options.of("app").quiet(Duration.ofMillis(200), Duration.ofSeconds(10))).fence();
      CatchUp catchUp = new CatchUp(src, dst, LogicalNames.DEFAULT);
      Lsn target = catchUp.publisherLsn();
      CatchUp.Result r = catchUp.waitFor(target, Duration.ofSeconds(20), Duration.ofMillis(100));
      System.out.println("PG 11 -> 15 catch-up after the fence: " + r);
      assertTrue(r.applied().compareTo(target) >= 0);
    }
  }
}
