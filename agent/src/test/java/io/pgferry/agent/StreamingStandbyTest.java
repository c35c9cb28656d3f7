package io.pgferry.agent;

import static io.pgferry.agent.AgentFixture.await;
import static io.pgferry.agent.AgentFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.metrics.AgentMetrics;
import io.pgferry.agent.metrics.HttpEndpoint;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An agent turns an empty data dir into a streaming standby with pg_basebackup; a second agent makes a cascading
 * standby of it; goal PRIMARY promotes the first (timeline + 1, writable) and the cascade follows onto the new
 * timeline. /metrics is scraped over HTTP for the standby and the primary.
 */
class StreamingStandbyTest {
  private static final Duration T = Duration.ofSeconds(90);
  private static Vertx vertx;
  private static WebClient http;

  @BeforeAll
  static void vertx() {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx);
  }

  @AfterAll
  static void closeVertx() {
    vertx.close();
  }

  @ParameterizedTest(name = "PG {0}")
  @ValueSource(ints = {11, 15})
  void standbyStreamsPromotesAndCascadeFollows(int major) throws Exception {
    PgBinaries bin = PgBinaries.forMajor(major);
    try (Workspace ws = Workspace.create("standby" + major);
         PgCluster primary = PgCluster.start(ws, "primary", major)) {
      primary.execute("create table ledger(id int primary key, note text)", "insert into ledger values (1, 'before')");
      AgentConfig bCfg = AgentFixture.config(ws, "b", bin);
      AgentConfig cCfg = AgentFixture.config(ws, "c", bin);
      try (PgCluster bPg = AgentFixture.adopt(bCfg, bin); PgCluster cPg = AgentFixture.adopt(cCfg, bin);
           NodeAgent b = new NodeAgent(bCfg, AgentFixture.fastOptions()).start();
           NodeAgent c = new NodeAgent(cCfg, AgentFixture.fastOptions()).start()) {
        assertEquals(NodeState.EMPTY, b.record().state());
        assertEquals(major, b.hello().getPgMajor());
        assertEquals(NodeState.EMPTY, b.hello().getCurrentState());
        assertTrue(b.hello().getCapabilitiesList().contains("basebackup"));
        AgentMetrics metrics = new AgentMetrics(b);
        HttpEndpoint endpoint = new HttpEndpoint(vertx, b, metrics);
        endpoint.listen("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        b.onAssignment(AgentFixture.standbyOf(1, primary), OptionalLong.empty());
        awaitState(b, NodeState.STREAMING_STANDBY, T);
        assertEquals(1, b.pgBaseBackupRuns());
        String recoveryFile = major >= 12 ? "standby.signal" : "recovery.conf";
        assertTrue(Files.exists(bCfg.postgres().dataDir().resolve(recoveryFile)), recoveryFile);
        if (major <= 11) {
          String rc = Files.readString(bCfg.postgres().dataDir().resolve("recovery.conf"));
          assertFalse(rc.contains("channel_binding"), rc);
          assertTrue(rc.contains("recovery_target_timeline = 'latest'"), rc);
        }

        primary.execute("insert into ledger values (2, 'streamed')");
        await("row 2 on b", T, () -> "streamed".equals(query(bPg, "select note from ledger where id = 2")), bPg::log);
        await("b streaming", T, () -> "streaming".equals(b.status().getWalReceiverStatus()), () -> b.status().toString());
        Status bs = b.status();
        assertTrue(bs.getInRecovery());
        assertEquals(1, bs.getTimeline());
        assertEquals(primary.host() + ":" + primary.port(), bs.getUpstream());

        String standbyMetrics = scrape(endpoint.port());
        assertEquals(1.0, metric(standbyMetrics, "pgferry_up"), standbyMetrics);
        assertEquals(1.0, metric(standbyMetrics, "pgferry_in_recovery"));
        assertEquals(1.0, metric(standbyMetrics, "pgferry_timeline"));
        assertEquals(1.0, metric(standbyMetrics, "pgferry_node_role{role=\"streaming_standby\"}"));
        assertEquals(0.0, metric(standbyMetrics, "pgferry_node_role{role=\"primary\"}"));
        assertTrue(metric(standbyMetrics, "pgferry_replay_lsn_bytes") > 0, standbyMetrics);
        assertTrue(metric(standbyMetrics, "pgferry_receive_lsn_bytes") > 0);
        assertTrue(metric(standbyMetrics, "pgferry_replay_lag_bytes") >= 0);
        assertEquals(0.0, metric(standbyMetrics, "pgferry_transition_failures_total"));
        HttpResponse<Buffer> health = http.get(endpoint.port(), "127.0.0.1", "/health").send().toCompletionStage()
            .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(200, health.statusCode());
        assertEquals("STREAMING_STANDBY", health.bodyAsJsonObject().getString("state"));
        assertEquals(true, health.bodyAsJsonObject().getBoolean("pg_running"));

        // cascading standby of b, through a physical slot on b
        bPg.execute("select pg_create_physical_replication_slot('c_slot')");
        Goal cGoal = AgentFixture.standbyOf(1, bPg.host(), bCfg.postgres().port());
        c.onAssignment(cGoal.toBuilder().setUpstream(cGoal.getUpstream().toBuilder().setSlotName("c_slot")).build(), OptionalLong.empty());
        awaitState(c, NodeState.STREAMING_STANDBY, T);
        await("b reports c's slot active and c as its replica", T, () -> b.status().getSlotsList().stream()
                .anyMatch(s -> s.getName().equals("c_slot") && s.getActive() && s.getType().equals("physical"))
                && b.status().getReplicasList().stream().anyMatch(r -> r.getApplicationName().equals("c")),
            () -> b.status().toString());
        primary.execute("insert into ledger values (3, 'cascaded')");
        await("row 3 on c", T, () -> "cascaded".equals(query(cPg, "select note from ledger where id = 3")), cPg::log);

        // promote b: the old primary stops first (as at a cutover)
        primary.stop();
        b.onAssignment(AgentFixture.goal(2, NodeState.PRIMARY), OptionalLong.empty());
        awaitState(b, NodeState.PRIMARY, T);
        assertEquals("f", query(bPg, "select pg_is_in_recovery()"));
        await("b timeline 2", T, () -> b.status().getTimeline() == 2, () -> b.status().toString());
        bPg.execute("insert into ledger values (4, 'after promotion')");

        await("c on timeline 2", T, () -> c.status().getTimeline() == 2, () -> c.status() + cPg.log());
        await("row 4 on c", T, () -> "after promotion".equals(query(cPg, "select note from ledger where id = 4")), cPg::log);
        assertEquals(NodeState.STREAMING_STANDBY, c.status().getState());

        await("metrics show a primary", T, () -> scrape(endpoint.port()).contains("pgferry_node_role{role=\"primary\"} 1.0"),
            () -> scrape(endpoint.port()));
        String primaryMetrics = scrape(endpoint.port());
        assertEquals(0.0, metric(primaryMetrics, "pgferry_in_recovery"), primaryMetrics);
        assertEquals(2.0, metric(primaryMetrics, "pgferry_timeline"));
        assertTrue(metric(primaryMetrics, "pgferry_current_lsn_bytes") > 0);
        assertEquals(0.0, metric(primaryMetrics, "pgferry_node_role{role=\"streaming_standby\"}"));
        endpoint.close();
      }
    }
  }

  static String query(PgCluster pg, String sql) {
    try {
      return pg.queryValue(sql);
    } catch (RuntimeException e) {
      return null;
    }
  }

  static String scrape(int port) {
    try {
      HttpResponse<Buffer> r = http.get(port, "127.0.0.1", "/metrics").send().toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      assertTrue(r.getHeader("Content-Type").startsWith("text/plain; version=0.0.4"));
      return r.bodyAsString();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static double metric(String text, String nameWithLabels) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(nameWithLabels) + "(?:\\{[^}]*\\})? (\\S+)$").matcher(text);
    if (!m.find()) {
      throw new AssertionError("no metric " + nameWithLabels + " in:\n" + text);
    }
    return Double.parseDouble(m.group(1));
  }
}
