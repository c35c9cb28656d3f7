package io.pgferry.e2e.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.e2e.prometheus.PrometheusServer;
import io.pgferry.testkit.Await;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus scrapes a real agent (node b, a streaming standby of a real primary, built through the rig) and
 * the controller every second, evaluating the shipped alert rules; its HTTP API must return pgferry's metrics with
 * the values the node really has.
 */
class PrometheusScrapeIT {
  @Test
  void prometheusScrapesAStandbyAgentAndTheController() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("prom-scrape"); Rig rig = new Rig(ws, List.of("b"));
         PgCluster primary = PgCluster.init(ws, "primary", bin, Map.of()).start()) {
      rig.initCerts().startController();
      primary.execute("create table t(id bigserial primary key, note text)",
          "insert into t(note) select 'row ' || g from generate_series(1, 1000) g");
      rig.startAgent("b", bin, ws.root().resolve("b"), FreePorts.next(), null);
      rig.api().assign("b", "{\"state\":\"STREAMING_STANDBY\",\"upstream\":{\"host\":\"127.0.0.1\",\"port\":"
          + primary.port() + ",\"user\":\"postgres\"}}");
      rig.awaitState("b", "STREAMING_STANDBY", Duration.ofMinutes(3));
      primary.execute("insert into t(note) select 'more ' || g from generate_series(1, 500) g");

      try (PrometheusServer prom = PrometheusServer.start(ws.root().resolve("prometheus"),
          List.of(new PrometheusServer.Target("127.0.0.1:" + rig.agentHttpPort("b"), "b")),
          "127.0.0.1:" + rig.controllerMetricsPort(),
          Launchers.repo().resolve("deploy/prometheus/pgferry-rules.yml"))) {
        awaitValue(prom, "up{job=\"pgferry-agent\",node=\"b\"}", 1);
        awaitValue(prom, "up{job=\"pgferry-controller\"}", 1);
        awaitValue(prom, "pgferry_up{job=\"pgferry-agent\",node=\"b\"}", 1);
        awaitValue(prom, "pgferry_node_role{node=\"b\",role=\"streaming_standby\"}", 1);
        awaitValue(prom, "pgferry_node_role{node=\"b\",role=\"primary\"}", 0);
        awaitValue(prom, "pgferry_agents_connected{job=\"pgferry-controller\"}", 1);
        // the standby replays the 500 new rows: its lag as Prometheus stored it reaches 0, on the agent and as the
        // controller heard it over the link
        awaitValue(prom, "pgferry_replay_lag_bytes{node=\"b\"}", 0);
        awaitValue(prom, "pgferry_node_replay_lag_bytes{job=\"pgferry-controller\",node=\"b\"}", 0);
        awaitValue(prom, "pgferry_in_recovery{node=\"b\"}", 1);
        // the replay position Prometheus holds is the one PostgreSQL reports on the standby
        JsonNode b = rig.api().node("b").orElseThrow();
        long replayed = lsnBytes(b.path("status").path("replay_lsn").asText());
        Await.until("pgferry_replay_lsn_bytes to reach " + replayed, Duration.ofSeconds(30),
            () -> prom.value("pgferry_replay_lsn_bytes{node=\"b\"}").map(v -> v >= replayed).orElse(false),
            () -> String.valueOf(prom.value("pgferry_replay_lsn_bytes{node=\"b\"}")));

        // the shipped rules evaluate against these series without errors
        Await.until("every shipped rule evaluated healthy", Duration.ofSeconds(30),
            () -> unhealthyRules(prom).isEmpty() && ruleCount(prom) > 0, () -> unhealthyRules(prom).toString());
        assertTrue(ruleCount(prom) >= 5, "rules loaded: " + ruleCount(prom));
        Optional<Double> firing = prom.value("count(ALERTS{alertstate=\"firing\",alertname=~\"PgferryAgentDown|PgferryAgentDisconnected\"})");
        assertEquals(Optional.empty(), firing, "no node-down alert fires while the node is up");
      }
    }
  }

  private static void awaitValue(PrometheusServer prom, String promql, double expected) {
    Await.until(promql + " == " + expected + " in Prometheus", Duration.ofSeconds(60),
        () -> prom.value(promql).map(v -> v == expected).orElse(false),
        () -> prom.query(promql).toString());
  }

  private static List<String> unhealthyRules(PrometheusServer prom) {
    List<String> bad = new ArrayList<>();
    for (JsonNode group : prom.ruleGroups()) {
      for (JsonNode rule : group.path("rules")) {
        String health = rule.path("health").asText();
        if (!"ok".equals(health)) {
          bad.add(rule.path("name").asText() + ": " + health + " " + rule.path("lastError").asText());
        }
      }
    }
    return bad;
  }

  private static int ruleCount(PrometheusServer prom) {
    int n = 0;
    for (JsonNode group : prom.ruleGroups()) {
      n += group.path("rules").size();
    }
    return n;
  }

  private static long lsnBytes(String lsn) {
    String[] parts = lsn.split("/");
    return (Long.parseLong(parts[0], 16) << 32) + Long.parseLong(parts[1], 16);
  }
}
