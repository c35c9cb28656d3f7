package io.pgferry.controller.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.Interruption;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.LedgerReport;
import io.pgferry.testkit.PgBouncer;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.PlanBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

class PgBouncerSwitcherTest {

  private static SwitchSettings.PgBouncer settings(PgBouncer bouncer, Duration pauseTimeout) {
    return new SwitchSettings.PgBouncer(bouncer.host(), bouncer.port(), PgBouncer.ADMIN_USER, null, "app", bouncer.iniFile(), pauseTimeout);
  }

  private static DatabaseEndpoint endpoint(PgCluster c) {
    return new DatabaseEndpoint(c.host(), c.port(), "postgres", "postgres", null);
  }

  @Test
  void switchesFromXToYWhileTheLedgerWritesWithoutClientErrorsOrLoss() throws Exception {
    try (Workspace ws = Workspace.create("pgb-switch"); PgCluster x = PgCluster.start(ws, "x", 15); PgCluster y = PgCluster.start(ws, "y", 15);
         PgBouncer bouncer = PgBouncer.start(ws, "bouncer", "app", x, "postgres")) {
      try (Connection cx = x.connect(); Connection cy = y.connect()) {
        Ledger.createTable(cx, "ledger");
        Ledger.createTable(cy, "ledger");
      }
      String iniBefore = Files.readString(bouncer.iniFile());
      AppSwitcher switcher = AppSwitchers.create(settings(bouncer, Duration.ofSeconds(10)));
      assertEquals(endpoint(x).redactedUrl(), switcher.current().redactedUrl());

      Ledger ledger = Ledger.start(Ledger.Options.of(() -> bouncer.jdbcUrl("app")).writers(4));
      assertTrue(ledger.awaitMore(300, Duration.ofSeconds(30)), "writes flow before the switch: " + ledger.failures());

      long t0 = Ledger.now();
      switcher.blockWrites();
      long copied = copyLedger(x, y); // paused: no transaction is open on X, nothing new can start
      switcher.repoint(endpoint(y));
      switcher.unblock();
      long t1 = Ledger.now();
      String xCountAtSwitch = x.queryValue("select count(*) from ledger");
      assertEquals(String.valueOf(copied), xCountAtSwitch, "no write reached X after the pause");

      assertTrue(ledger.awaitMore(300, Duration.ofSeconds(30)), "writes flow after the switch: " + ledger.failures());
      assertEquals(endpoint(y).redactedUrl(), switcher.current().redactedUrl());
      LedgerReport report;
      try (Connection cy = y.connect()) {
        report = ledger.verify(cy);
      }
      Duration gap = report.maxGapBetween(t0, t1);
      System.out.printf("pgbouncer switch X->Y: %s, %d rows copied, write gap around the switch %.3f s%n", report.summary(), copied,
          gap.toNanos() / 1e9);
      assertEquals(xCountAtSwitch, x.queryValue("select count(*) from ledger"), "X got no writes after the switch");
      assertTrue(Long.parseLong(y.queryValue("select count(*) from ledger")) > copied, "new writes landed on Y");
      assertEquals(0, report.lost(), report.summary());
      assertEquals(0, report.duplicated(), report.summary());
      assertEquals(0, report.failedAttempts(), "clients queue during PAUSE, they see no error: " + report.failures());
      assertTrue(gap.compareTo(Duration.ofSeconds(5)) < 0, "gap " + gap);

      String iniAfter = Files.readString(bouncer.iniFile());
      assertEquals(iniBefore.replace("port=" + x.port(), "port=" + y.port()), iniAfter, "only the app line's port changed");
      switcher.repoint(endpoint(y)); // idempotent: already there
      assertEquals(iniAfter, Files.readString(bouncer.iniFile()));
    }
  }

  @Test
  void pauseThatTimesOutIsCancelledResumedAndLeavesTheIniAlone() throws Exception {
    try (Workspace ws = Workspace.create("pgb-timeout"); PgCluster x = PgCluster.start(ws, "x", 15);
         PgBouncer bouncer = PgBouncer.start(ws, "bouncer", "app", x, "postgres")) {
      x.execute("create table t(id int)");
      String iniBefore = Files.readString(bouncer.iniFile());
      PgBouncerSwitcher switcher = new PgBouncerSwitcher(settings(bouncer, Duration.ofMillis(3000)));
      try (Connection longTx = bouncer.connect("app")) {
        longTx.setAutoCommit(false);
        try (Statement st = longTx.createStatement()) {
          st.execute("insert into t values (1)"); // holds a server connection until commit
        }
        long start = System.nanoTime();
        CompletableFuture<Void> blocking = CompletableFuture.runAsync(() -> {
          try {
            switcher.blockWrites();
          } catch (SwitchException ex) {
            throw new CompletionException(ex);
          }
        });
        // while the PAUSE waits, its admin connection is visible by its tag (what the cancel waits on)
        assertTrue(Ledger.await(() -> bouncer.adminCommand("SHOW CLIENTS").stdout().contains("pgferry-pause-"), Duration.ofSeconds(2)),
            bouncer.adminCommand("SHOW CLIENTS").stdout());
        CompletionException wrapped = assertThrows(CompletionException.class, blocking::join);
        SwitchException e = (SwitchException) wrapped.getCause();
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertFalse(bouncer.adminCommand("SHOW CLIENTS").stdout().contains("pgferry-pause-"), "the PAUSE connection is gone");
        System.out.println("pause timeout error after " + ms + " ms: " + e.getMessage());
        assertTrue(e.getMessage().contains("PAUSE did not finish within 3000 ms"), e.getMessage());
        assertTrue(e.getMessage().contains("RESUMEd"), e.getMessage());
        assertTrue(ms < 10_000, "bounded: " + ms);
        assertFalse(switcher.paused(), "never left paused");
        assertEquals(iniBefore, Files.readString(bouncer.iniFile()), "ini untouched");
        // the long transaction is unharmed and can finish
        longTx.commit();
      }
      // other clients are not stuck, and a later switch cycle works (no PAUSE left hanging, pgbouncer#715)
      try (Connection c = bouncer.connect("app"); Statement st = c.createStatement()) {
        st.execute("insert into t values (2)");
      }
      assertEquals("2", x.queryValue("select count(*) from t"));
      switcher.blockWrites();
      assertTrue(switcher.paused());
      switcher.blockWrites(); // idempotent: already paused and drained
      switcher.unblock();
      assertFalse(switcher.paused());
      switcher.unblock(); // idempotent
      assertFalse(bouncer.log().contains("FATAL"), bouncer.log());
    }
  }

  /** A stopped engine interrupts blockWrites while its PAUSE waits: it cancels the PAUSE, RESUMEs and ends at once. */
  @Test
  void anInterruptDuringPauseCancelsItResumesAndEndsPromptly() throws Exception {
    try (Workspace ws = Workspace.create("pgb-interrupt"); PgCluster x = PgCluster.start(ws, "x", 15);
         PgBouncer bouncer = PgBouncer.start(ws, "bouncer", "app", x, "postgres")) {
      x.execute("create table t(id int)");
      PgBouncerSwitcher switcher = new PgBouncerSwitcher(settings(bouncer, Duration.ofSeconds(60)));
      try (Connection longTx = bouncer.connect("app")) {
        longTx.setAutoCommit(false);
        try (Statement st = longTx.createStatement()) {
          st.execute("insert into t values (1)"); // holds a server connection: the PAUSE waits for it
        }
        Interruption.Outcome out = Interruption.of(switcher::blockWrites,
            () -> bouncer.adminCommand("SHOW CLIENTS").stdout().contains("pgferry-pause-"), Duration.ofSeconds(15));
        System.out.println("interrupted PAUSE: " + out);
        assertTrue(out.ended(), "blockWrites still runs " + out.millisAfterInterrupt() + " ms after the interrupt");
        assertTrue(out.thrown() instanceof SwitchException && out.thrown().getMessage().contains("interrupted"), String.valueOf(out.thrown()));
        assertTrue(out.interruptPending(), "the interrupt is restored for the caller");
        assertTrue(out.millisAfterInterrupt() < 10_000, "bounded by the cancel, not the 60 s pause timeout: " + out.millisAfterInterrupt());
        assertFalse(switcher.paused(), "never left paused");
        assertFalse(bouncer.adminCommand("SHOW CLIENTS").stdout().contains("pgferry-pause-"), "the PAUSE connection is gone");
        longTx.commit();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"plain", "md5", "scram-sha-256"})
  void adminConsoleLogsInWithPasswords(String authType, @TempDir Path secrets) throws Exception {
    try (Workspace ws = Workspace.create("pgb-auth");
         PgBouncer bouncer = PgBouncer.start(ws, "bouncer", Map.of("app", "host=127.0.0.1 port=1 dbname=postgres"),
             Map.of("postgres", "s3cret-" + authType), authType)) {
      Path good = PlanBuilder.writeSecret(secrets.resolve("good"), "s3cret-" + authType);
      Path bad = PlanBuilder.writeSecret(secrets.resolve("bad"), "wrong");
      SwitchSettings.PgBouncer ok = new SwitchSettings.PgBouncer(bouncer.host(), bouncer.port(), "postgres", "file:" + good, "app",
          bouncer.iniFile(), Duration.ofSeconds(2));
      assertEquals(1, new PgBouncerSwitcher(ok).current().port());
      SwitchSettings.PgBouncer wrong = new SwitchSettings.PgBouncer(bouncer.host(), bouncer.port(), "postgres", "file:" + bad, "app",
          bouncer.iniFile(), Duration.ofSeconds(2));
      SwitchException e = assertThrows(SwitchException.class, () -> new PgBouncerSwitcher(wrong).current());
      System.out.println(authType + " wrong password: " + e.getMessage());
      assertTrue(e.getMessage().contains("login as postgres failed"), e.getMessage());
      assertFalse(e.getMessage().contains("wrong"), "no password in the message");
    }
  }

  private static long copyLedger(PgCluster from, PgCluster to) throws Exception {
    ByteArrayOutputStream rows = new ByteArrayOutputStream();
    try (Connection cx = from.connect(); Connection cy = to.connect()) {
      long out = new CopyManager(cx.unwrap(BaseConnection.class)).copyOut("COPY ledger (id, writer_id, seq, written_at) TO STDOUT", rows);
      new CopyManager(cy.unwrap(BaseConnection.class)).copyIn("COPY ledger (id, writer_id, seq, written_at) FROM STDIN",
          new ByteArrayInputStream(rows.toByteArray()));
      try (Statement st = cy.createStatement()) {
        st.execute("select setval('ledger_id_seq', (select max(id) from ledger))");
      }
      return out;
    }
  }
}
