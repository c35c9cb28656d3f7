package io.pgferry.controller.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.Interruption;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.LedgerReport;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Heroku-like setup: the app's role owns its database and has no superuser; the fence runs as that same role.
 * A "worker dyno" (the ledger) writes directly to the database, ignoring maintenance mode.
 */
class DatabaseFenceTest {

  @ParameterizedTest
  @ValueSource(ints = {11, 15, 17})
  void fenceStopsADirectWriterAndLiftRestoresWrites(int major) throws Exception {
    try (Workspace ws = Workspace.create("fence"); PgCluster pg = PgCluster.start(ws, "pg" + major, major)) {
      pg.execute("CREATE ROLE app LOGIN NOSUPERUSER NOCREATEROLE", "CREATE DATABASE appdb OWNER app");
      String url = pg.jdbcUrl("appdb");
      try (Connection c = DriverManager.getConnection(url, "app", "")) {
        Ledger.createTable(c, "ledger");
      }
      DatabaseFence fence = new DatabaseFence(() -> DriverManager.getConnection(url, "app", ""),
          DatabaseFence.Options.of("app").quiet(Duration.ofMillis(300), Duration.ofSeconds(20)));
      assertFalse(fence.isFenced());

      Ledger worker = Ledger.start(Ledger.Options.of(() -> url).as("app", "").writers(2));
      assertTrue(worker.awaitMore(200, Duration.ofSeconds(30)), "worker writes: " + worker.failures());

      DatabaseFence.Report report = fence.fence();
      long fencedAt = Ledger.now();
      System.out.println("PG " + major + " fence: " + report.summary());
      assertTrue(fence.isFenced());
      assertEquals(2, report.statements().size(), report.summary());
      assertTrue(report.terminated().size() >= 2, "the worker's sessions were ended: " + report.summary());
      assertTrue(report.quietLsn().isValid());

      // the worker keeps trying: its new sessions are read-only (SQLSTATE 25006), nothing commits
      assertTrue(Ledger.await(() -> worker.failures().stream().anyMatch(f -> f.atNanos() > fencedAt && "25006".equals(f.sqlState())),
          Duration.ofSeconds(20)), "worker hits read-only: " + worker.failures());
      assertEquals(0, worker.acknowledgedAfter(fencedAt), "no commit after the fence");
      long countAtFence = count(url);
      assertEquals(countAtFence, count(url), "rows do not change while fenced");

      DatabaseFence.Report again = fence.fence(); // idempotent
      assertTrue(again.statements().isEmpty(), again.summary());
      assertEquals(2, again.alreadyDone().size(), again.summary());

      DatabaseFence.Report lifted = fence.lift();
      System.out.println("lift: " + lifted.summary());
      assertFalse(fence.isFenced());
      assertTrue(worker.awaitMore(100, Duration.ofSeconds(30)), "writes resume after lift: " + worker.failures().size());
      LedgerReport ledger;
      try (Connection c = DriverManager.getConnection(url, "app", "")) {
        ledger = worker.verify(c);
      }
      System.out.println("PG " + major + " fence ledger: " + ledger.summary());
      assertEquals(0, ledger.lost());
      assertEquals(0, ledger.duplicated());
      DatabaseFence.Report liftedAgain = fence.lift();
      assertTrue(liftedAgain.statements().isEmpty(), liftedAgain.summary());
    }
  }

  @Test
  void aWriterOutsideTheFenceMakesItFailClearly() throws Exception {
    withOutsideWriter("fence-out", Duration.ofSeconds(2), (pg, fence) -> {
      FenceException e = assertThrows(FenceException.class, fence::fence);
      System.out.println("outside writer: " + e.getMessage());
      assertTrue(e.getMessage().contains("writes did not stop"), e.getMessage());
      assertTrue(e.getMessage().contains("holding a transaction ID"), e.getMessage());
    });
  }

  /** A stopped engine interrupts the fence while it waits for writes to stop: it ends at once, not after quietTimeout. */
  @Test
  void anInterruptEndsTheWaitForWritesToStopPromptly() throws Exception {
    withOutsideWriter("fence-int", Duration.ofSeconds(30), (pg, fence) -> {
      Interruption.Outcome out = Interruption.of(fence::fence,
          () -> "1".equals(pg.queryValue("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgferry-fence'")),
          Duration.ofSeconds(5));
      System.out.println("fence interrupted: " + out);
      assertTrue(out.ended(), "the fence still waits " + out.millisAfterInterrupt() + " ms after the interrupt");
      assertTrue(out.thrown() instanceof InterruptedException, String.valueOf(out.thrown()));
    });
  }

  @FunctionalInterface
  private interface FenceCheck {
    void run(PgCluster pg, DatabaseFence fence) throws Exception;
  }

  /**
   * A superuser session holds an open write transaction: the fence (of role app only) cannot end it and must not call
   * it quiet. After {@code check}, the transaction is rolled back and the fence lifted.
   */
  private static void withOutsideWriter(String name, Duration quietTimeout, FenceCheck check) throws Exception {
    try (Workspace ws = Workspace.create(name); PgCluster pg = PgCluster.start(ws, "pg", 15)) {
      pg.execute("CREATE ROLE app LOGIN", "CREATE DATABASE appdb OWNER app");
      String url = pg.jdbcUrl("appdb");
      try (Connection c = DriverManager.getConnection(url, "app", "")) {
        Ledger.createTable(c, "ledger");
      }
      try (Connection su = DriverManager.getConnection(url, "postgres", "")) {
        su.setAutoCommit(false);
        try (Statement st = su.createStatement()) {
          st.execute("INSERT INTO ledger (writer_id, seq) VALUES (99, 1)");
        }
        DatabaseFence fence = new DatabaseFence(() -> DriverManager.getConnection(url, "app", ""),
            new DatabaseFence.Options(List.of("app"), false, Duration.ofMillis(200), quietTimeout, true, null));
        check.run(pg, fence);
        su.rollback();
        fence.lift();
        assertFalse(fence.isFenced());
      }
    }
  }

  private static long count(String url) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement();
         var rs = st.executeQuery("SELECT count(*) FROM ledger")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
