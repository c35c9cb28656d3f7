package io.pgferry.controller.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.sql.DatabaseFence;
import io.pgferry.testkit.HerokuStandIn;
import io.pgferry.testkit.Interruption;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.LedgerReport;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.PlanBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

class HerokuSwitcherTest {
  private static final String TOKEN = "hk-test-token-123";
  private static final String VAR = "AURORA_MASTER_DATABASE_URL";

  @TempDir
  Path state;

  private SwitchSettings.Heroku settings(HerokuStandIn api, String tokenFile, List<String> stop) {
    return new SwitchSettings.Heroku(api.url(), "shop", "file:" + tokenFile, VAR, stop, state, 4, Duration.ofMillis(20));
  }

  private String tokenFile(String token) throws Exception {
    Path f = state.resolve("token-" + token.hashCode());
    PlanBuilder.writeSecret(f, token + "\n");
    return f.toString();
  }

  @Test
  void maintenanceOnThenConfigVarThenMaintenanceOffWithWorkersStoppedAndRestored() throws Exception {
    try (HerokuStandIn api = HerokuStandIn.start(TOKEN)) {
      api.app("shop", Map.of(VAR, "postgres://u:old@old-host:5432/d1"), Map.of("web", 2, "worker", 3));
      AppSwitcher heroku = AppSwitchers.create(settings(api, tokenFile(TOKEN), List.of("worker")));
      DatabaseEndpoint target = new DatabaseEndpoint("10.0.0.5", 5433, "shop", "app", "file:" + tokenFile("s3cret pw"));

      assertEquals("postgres://u@old-host:5432/d1", heroku.current().redactedUrl());
      api.rateLimitNext(2); // the first two requests get 429 rate_limit and are retried
      heroku.blockWrites();
      assertTrue(api.app("shop").maintenance());
      assertEquals(0, api.app("shop").quantity("worker"));
      heroku.blockWrites(); // idempotent: no second PATCH, saved quantity not overwritten with 0
      heroku.repoint(target);
      heroku.repoint(target); // idempotent: no second release (each one restarts the app)
      heroku.unblock();
      assertFalse(api.app("shop").maintenance());
      assertEquals(3, api.app("shop").quantity("worker"), "worker quantity restored");
      assertEquals(2, api.app("shop").quantity("web"));
      assertEquals("postgres://app:s3cret%20pw@10.0.0.5:5433/shop", api.app("shop").configVar(VAR));
      assertEquals(target.redactedUrl(), heroku.current().redactedUrl());
      assertEquals(1, api.releases());

      List<String> changes = api.changes().stream().map(c -> c.method() + " " + c.path() + " " + c.body()).toList();
      System.out.println("heroku calls: " + api.calls());
      assertEquals(List.of(
          "PATCH /apps/shop {\"maintenance\":true}",
          "PATCH /apps/shop/formation/worker {\"quantity\":0}",
          "PATCH /apps/shop/config-vars {\"" + VAR + "\":\"postgres://app:s3cret%20pw@10.0.0.5:5433/shop\"}",
          "PATCH /apps/shop/formation/worker {\"quantity\":3}",
          "PATCH /apps/shop {\"maintenance\":false}"), changes);
      assertEquals(2, api.calls().stream().filter(c -> c.status() == 429).count(), "429s were answered and retried");
      assertFalse(Files.exists(state.resolve("heroku-formation-shop.json")), "saved quantities cleared after unblock");
    }
  }

  @Test
  void clearErrorsForWrongTokenUnknownAppAndPersistentRateLimit() throws Exception {
    try (HerokuStandIn api = HerokuStandIn.start(TOKEN)) {
      api.app("shop", Map.of(), Map.of("web", 1));
      String wrong = tokenFile("not-the-token");
      SwitchException unauthorized = assertThrows(SwitchException.class,
          () -> AppSwitchers.create(settings(api, wrong, List.of())).blockWrites());
      System.out.println("401: " + unauthorized.getMessage());
      assertTrue(unauthorized.getMessage().contains("401 unauthorized"), unauthorized.getMessage());
      assertTrue(unauthorized.getMessage().contains("file:" + wrong), "names where the token came from");
      assertFalse(unauthorized.getMessage().contains("not-the-token"), "never shows the token");
      assertFalse(api.app("shop").maintenance());

      SwitchSettings.Heroku other = new SwitchSettings.Heroku(api.url(), "nope", "file:" + tokenFile(TOKEN), VAR, List.of(), state, 3,
          Duration.ofMillis(10));
      SwitchException notFound = assertThrows(SwitchException.class, () -> new HerokuSwitcher(other).blockWrites());
      assertTrue(notFound.getMessage().contains("404 not_found") && notFound.getMessage().contains("heroku.app"), notFound.getMessage());

      api.rateLimitNext(10);
      SwitchException limited = assertThrows(SwitchException.class,
          () -> AppSwitchers.create(settings(api, tokenFile(TOKEN), List.of())).blockWrites());
      assertTrue(limited.getMessage().contains("429 rate_limit"), limited.getMessage());

      // the stand-in insists on the v3 Accept header like the real API
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(api.url().resolve("/apps/shop"))
          .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(406, r.statusCode());
      assertTrue(r.body().contains("not_acceptable"));
    }
  }

  /** A stopped engine interrupts a switcher that backs off from 429s: it ends at once instead of retrying on. */
  @Test
  void anInterruptDuringTheRetryBackoffEndsTheCallPromptly() throws Exception {
    try (HerokuStandIn api = HerokuStandIn.start(TOKEN)) {
      api.app("shop", Map.of(), Map.of("web", 1));
      api.rateLimitNext(100);
      SwitchSettings.Heroku slow = new SwitchSettings.Heroku(api.url(), "shop", "file:" + tokenFile(TOKEN), VAR, List.of(), state, 5,
          Duration.ofSeconds(10)); // backs off 10, 20, 40, 60 s
      HerokuSwitcher heroku = new HerokuSwitcher(slow);
      Interruption.Outcome out = Interruption.of(heroku::blockWrites, () -> api.calls().stream().anyMatch(c -> c.status() == 429),
          Duration.ofSeconds(5));
      assertTrue(out.ended(), "still retrying " + out.millisAfterInterrupt() + " ms after the interrupt");
      assertTrue(out.thrown() instanceof SwitchException && out.thrown().getMessage().contains("interrupted"), String.valueOf(out.thrown()));
      assertTrue(out.interruptPending(), "the interrupt is restored for the caller");
      assertEquals(1, api.calls().size(), "no retry after the interrupt: " + api.calls());
      assertFalse(api.app("shop").maintenance());
    }
  }

  /**
   * The Heroku-style cutover with a worker that ignores maintenance mode: it writes to X through the config var
   * until the database fence ends it; X's rows are copied to Y; the config var moves to Y (a release restarts the
   * app, which reconnects to Y).
   */
  @Test
  void workerIgnoringMaintenanceIsStoppedByTheFenceAndFollowsTheConfigVar() throws Exception {
    try (Workspace ws = Workspace.create("heroku-cut"); PgCluster x = PgCluster.start(ws, "x", 15); PgCluster y = PgCluster.start(ws, "y", 15);
         HerokuStandIn api = HerokuStandIn.start(TOKEN)) {
      for (PgCluster c : List.of(x, y)) {
        c.execute("CREATE ROLE app LOGIN", "CREATE DATABASE appdb OWNER app");
        try (Connection conn = DriverManager.getConnection(c.jdbcUrl("appdb"), "app", "")) {
          Ledger.createTable(conn, "ledger");
        }
      }
      api.app("shop", Map.of(VAR, "postgres://app@127.0.0.1:" + x.port() + "/appdb"), Map.of("web", 1, "worker", 1));
      Ledger worker = Ledger.start(Ledger.Options.of(() -> {
        DatabaseEndpoint e = DatabaseEndpoint.fromUrl(api.app("shop").configVar(VAR));
        return "jdbc:postgresql://" + e.host() + ":" + e.port() + "/" + e.dbname();
      }).as("app", "").writers(2));
      api.onRelease(app -> worker.reconnectAll());
      assertTrue(worker.awaitMore(200, Duration.ofSeconds(30)), "worker writes to X: " + worker.failures());

      AppSwitcher heroku = AppSwitchers.create(settings(api, tokenFile(TOKEN), List.of()));
      DatabaseFence fenceX = new DatabaseFence(() -> DriverManager.getConnection(x.jdbcUrl("appdb"), "app", ""),
          DatabaseFence.Options.of("app").quiet(Duration.ofMillis(300), Duration.ofSeconds(20)));
      long t0 = Ledger.now();
      heroku.blockWrites(); // maintenance on: the worker does not care
      DatabaseFence.Report fenced = fenceX.fence();
      long fencedAt = Ledger.now();
      long copied = copy(x, y);
      long repointAt = Ledger.now();
      heroku.repoint(new DatabaseEndpoint("127.0.0.1", y.port(), "appdb", "app", null));
      heroku.unblock();
      long t1 = Ledger.now();
      assertTrue(worker.awaitMore(200, Duration.ofSeconds(30)), "worker writes to Y after the release: " + worker.failures());

      LedgerReport report;
      try (Connection cy = DriverManager.getConnection(y.jdbcUrl("appdb"), "app", "")) {
        report = worker.verify(cy);
      }
      System.out.printf("heroku cutover: %s; fence: %s; gap around the cutover %.3f s%n", report.summary(), fenced.summary(),
          report.maxGapBetween(t0, t1).toNanos() / 1e9);
      assertEquals(copied, count(x), "nothing landed on X after the fence");
      assertEquals(0, worker.acks().stream().filter(a -> a.commitNanos() > fencedAt && a.commitNanos() < repointAt).count(),
          "no commit acknowledged between the fence and the repoint");
      assertEquals(0, report.lost());
      assertEquals(0, report.duplicated());
      List<String> order = api.changes().stream().map(c -> c.path() + " " + c.body()).toList();
      assertEquals(3, order.size(), order.toString());
      assertTrue(order.get(0).contains("\"maintenance\":true") && order.get(1).contains(VAR) && order.get(2).contains("\"maintenance\":false"),
          order.toString());
      fenceX.lift();
    }
  }

  private static long count(PgCluster c) throws Exception {
    try (Connection conn = DriverManager.getConnection(c.jdbcUrl("appdb"), "postgres", ""); Statement st = conn.createStatement();
         var rs = st.executeQuery("SELECT count(*) FROM ledger")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long copy(PgCluster from, PgCluster to) throws Exception {
    ByteArrayOutputStream rows = new ByteArrayOutputStream();
    try (Connection cx = DriverManager.getConnection(from.jdbcUrl("appdb"), "postgres", "");
         Connection cy = DriverManager.getConnection(to.jdbcUrl("appdb"), "postgres", "")) {
      long n = new CopyManager(cx.unwrap(BaseConnection.class)).copyOut("COPY ledger (id, writer_id, seq, written_at) TO STDOUT", rows);
      new CopyManager(cy.unwrap(BaseConnection.class)).copyIn("COPY ledger (id, writer_id, seq, written_at) FROM STDIN",
          new ByteArrayInputStream(rows.toByteArray()));
      try (Statement st = cy.createStatement()) {
        st.execute("SELECT setval('ledger_id_seq', (SELECT max(id) FROM ledger))");
      }
      return n;
    }
  }
}
