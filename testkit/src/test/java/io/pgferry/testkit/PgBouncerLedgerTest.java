package io.pgferry.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PgBouncerLedgerTest {

  @Test
  void ledgerWritesThroughPgBouncerAndVerifiesCleanly() throws Exception {
    try (Workspace ws = Workspace.create("bouncer"); PgCluster pg = PgCluster.start(ws, "pg", 15);
         PgBouncer bouncer = PgBouncer.start(ws, "bouncer", "app", pg, "postgres")) {
      try (Connection c = pg.connect()) {
        Ledger.createTable(c, "ledger");
      }
      String databases = bouncer.adminCommand("SHOW DATABASES").check().stdout();
      assertTrue(databases.contains("app|127.0.0.1|" + pg.port() + "|postgres"), databases);
      Ledger ledger = Ledger.start(Ledger.Options.of(() -> bouncer.jdbcUrl("app")).writers(3));
      assertTrue(ledger.awaitMore(300, Duration.ofSeconds(30)), "ledger writes through pgbouncer: " + ledger.failures());
      LedgerReport report;
      try (Connection c = pg.connect()) {
        report = ledger.verify(c);
      }
      System.out.println(report.summary());
      assertTrue(report.acknowledged() >= 300);
      assertEquals(0, report.lost());
      assertEquals(0, report.duplicated());
      assertEquals(0, report.failedAttempts(), report.failures().toString());
      // the report sees a row missing or doubled
      pg.execute("DELETE FROM ledger WHERE id = (SELECT min(id) FROM ledger)",
          "INSERT INTO ledger (writer_id, seq) SELECT writer_id, seq FROM ledger WHERE id = (SELECT max(id) FROM ledger)");
      try (Connection c = pg.connect()) {
        LedgerReport tampered = ledger.verify(c);
        assertEquals(1, tampered.lost());
        assertEquals(1, tampered.duplicated());
      }
      bouncer.close();
      assertFalse(bouncer.isRunning());
    }
  }
}
