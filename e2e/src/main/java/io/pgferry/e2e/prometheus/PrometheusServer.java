package io.pgferry.e2e.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.testkit.Await;
import io.pgferry.e2e.rig.ManagedProcess;
import io.pgferry.testkit.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A real Prometheus (Debian's package) scraping pgferry every second: a generated config with the agent targets
 * (labelled with their node, as deploy/prometheus/prometheus.yml does) and the controller, a temp TSDB, a free port.
 */
public final class PrometheusServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ManagedProcess process;
  private final int port;

  private PrometheusServer(ManagedProcess process, int port) {
    this.process = process;
    this.port = port;
  }

  public record Target(String address, String node) {}

  public static String binary() {
    return System.getProperty("pgferry.prometheus", "/usr/bin/prometheus");
  }

  /** @param rules a rule file Prometheus evaluates every second (deploy/prometheus/pgferry-rules.yml), or null */
  public static PrometheusServer start(Path dir, List<Target> agents, String controllerAddress, Path rules)
      throws IOException {
    Files.createDirectories(dir);
    StringBuilder config = new StringBuilder("""
        global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}
        """);
    if (rules != null) {
      config.append("rule_files: [\"").append(rules.toAbsolutePath()).append("\"]\n");
    }
    config.append("""
        scrape_configs:
          - job_name: pgferry-agent
            static_configs:
        """);
    for (Target t : agents) {
      config.append("      - targets: [\"").append(t.address()).append("\"]\n")
          .append("        labels: {node: \"").append(t.node()).append("\"}\n");
    }
    config.append("""
          - job_name: pgferry-controller
            static_configs:
              - targets: ["%s"]
        """.formatted(controllerAddress));
    Path file = dir.resolve("prometheus.yml");
    Files.writeString(file, config);
    int port = FreePorts.next();
    ManagedProcess p = new ManagedProcess("prometheus", List.of(binary(), "--config.file=" + file,
        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
        "--storage.tsdb.retention.time=1h", "--log.level=warn"), dir.resolve("prometheus.log")).start();
    PrometheusServer server = new PrometheusServer(p, port);
    Await.until("prometheus to be ready on :" + port, Duration.ofSeconds(60), server::ready, () -> p.logTail(20));
    return server;
  }

  public int port() {
    return port;
  }

  public ManagedProcess process() {
    return process;
  }

  private boolean ready() {
    try {
      return get("/-/ready").statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /** The value of the single series an instant query returns; empty when it returns none. Several: an error. */
  public Optional<Double> value(String promql) {
    JsonNode result = query(promql);
    if (result.size() > 1) {
      throw new IllegalStateException(promql + " returned " + result.size() + " series: " + result);
    }
    return result.isEmpty() ? Optional.empty() : Optional.of(result.get(0).path("value").get(1).asDouble());
  }

  /** {@code data.result} of GET /api/v1/query. */
  public JsonNode query(String promql) {
    return api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).path("result");
  }

  /** {@code data.groups} of GET /api/v1/rules: each rule with its health and last error. */
  public JsonNode ruleGroups() {
    return api("/api/v1/rules").path("groups");
  }

  private JsonNode api(String pathAndQuery) {
    String promql = pathAndQuery;
    try {
      HttpResponse<String> r = get(pathAndQuery);
      JsonNode body = JSON.readTree(r.body());
      if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
        throw new IllegalStateException(promql + ": HTTP " + r.statusCode() + " " + r.body());
      }
      return body.path("data");
    } catch (IOException e) {
      throw new IllegalStateException(promql + ": " + e.getMessage(), e);
    }
  }

  private HttpResponse<String> get(String path) throws IOException {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  public void close() {
    process.close();
  }
}
