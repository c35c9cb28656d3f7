package io.pgferry.controller.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Heroku-like source: wal_level replica, archive_timeout 60 s, the app's role owns its database and is no
 * superuser. The segment that holds the position before the call must reach the archive long before archive_timeout.
 */
class SegmentCloserTest {
  private static final Duration SHIPPED_WITHIN = Duration.ofSeconds(5);

  @ParameterizedTest
  @ValueSource(ints = {11, 15, 17})
  void aNonSuperuserFillsTheSegmentAndItIsArchivedAtOnce(int major) throws Exception {
    try (Workspace ws = Workspace.create("segclose"); PgCluster pg = herokuLike(ws, major)) {
      SegmentCloser.Closed closed = closeAsApp(pg);
      assertEquals(SegmentCloser.How.FILLED_MESSAGE, closed.how(), closed.sentence());
      assertTrue(closed.bytes() > 0 && closed.bytes() <= 16L << 20, closed.sentence());
      assertArchivedSoon(ws, pg, closed);
    }
  }

  @Test
  void withTheMessageFunctionRevokedATableCarriesTheBytesAndIsGoneAfterwards() throws Exception {
    try (Workspace ws = Workspace.create("segclose"); PgCluster pg = herokuLike(ws, 15)) {
      try (Connection c = pg.connect("appdb")) { // function privileges are per database
        Sql.execute(c, "REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC");
      }
      SegmentCloser.Closed closed = closeAsApp(pg);
      assertEquals(SegmentCloser.How.FILLED_TABLE, closed.how(), closed.sentence());
      assertArchivedSoon(ws, pg, closed);
      try (Connection c = pg.connect("appdb")) {
        assertFalse(Sql.exists(c, "SELECT 1 FROM pg_class WHERE relname = 'pgferry_segment_fill'"));
      }
    }
  }

  @Test
  void aSuperuserSwitches() throws Exception {
    try (Workspace ws = Workspace.create("segclose"); PgCluster pg = herokuLike(ws, 15);
         Connection c = pg.connect("appdb")) {
      assertNotArchivedYet(pg);
      SegmentCloser.Closed closed = SegmentCloser.close(c);
      assertEquals(SegmentCloser.How.SWITCHED, closed.how(), closed.sentence());
      assertArchivedSoon(ws, pg, closed);
    }
  }

  private static PgCluster herokuLike(Workspace ws, int major) throws Exception {
    Path archive = ws.dir("archive");
    PgCluster pg = PgCluster.init(ws, "src" + major, PgBinaries.forMajor(major), Map.of("wal_level", "replica",
        "archive_mode", "on", "archive_timeout", "60s", "archive_command", "'cp %p " + archive + "/%f'")).start();
    pg.execute("CREATE ROLE app LOGIN NOSUPERUSER NOCREATEROLE", "CREATE DATABASE appdb OWNER app");
    try (Connection c = app(pg)) {
      Ledger.createTable(c, "ledger");
      Sql.execute(c, "INSERT INTO ledger (writer_id, seq) SELECT 1, g FROM generate_series(1, 1000) g");
    }
    return pg;
  }

  private static SegmentCloser.Closed closeAsApp(PgCluster pg) throws Exception {
    assertNotArchivedYet(pg);
    try (Connection c = app(pg)) {
      return SegmentCloser.close(c);
    }
  }

  private static Connection app(PgCluster pg) throws Exception {
    return DriverManager.getConnection(pg.jdbcUrl("appdb"), "app", "");
  }

  /** The control: without the call the current segment would wait for archive_timeout (60 s). */
  private static void assertNotArchivedYet(PgCluster pg) {
    String segment = pg.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())");
    assertFalse(Files.exists(pg.dataDir().resolveSibling("archive").resolve(segment)), segment + " already archived");
  }

  private static void assertArchivedSoon(Workspace ws, PgCluster pg, SegmentCloser.Closed closed) throws Exception {
    String segment = pg.queryValue("SELECT pg_walfile_name('" + closed.finalLsn() + "')");
    Path file = ws.root().resolve("archive").resolve(segment);
    long start = System.nanoTime();
    boolean shipped = Ledger.await(() -> Files.exists(file), SHIPPED_WITHIN);
    System.out.printf("PG %d %s: %s archived after %d ms (%s)%n", pg.major(), closed.how(), segment,
        (System.nanoTime() - start) / 1_000_000, closed.sentence());
    assertTrue(shipped, segment + " not archived within " + SHIPPED_WITHIN + " (archive_timeout is 60 s): "
        + closed.sentence());
  }
}
