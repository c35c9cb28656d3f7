package io.pgferry.e2e.rig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.controller.cli.ApiCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The controller's HTTP API as the rig uses it (docs/contracts.md), presenting the given credentials. */
public final class ControllerApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http;
  private final ApiCredentials credentials;
  private final URI base;

  public ControllerApi(String baseUrl, ApiCredentials credentials) {
    this.base = URI.create(baseUrl);
    this.credentials = credentials;
    this.http = credentials.httpClient();
  }

  /** POST {@code path} with an empty JSON object (what `pgferry failover|resume|abort` send); "STATUS BODY". */
  public String post(String path) throws IOException {
    return post(path, Map.of());
  }

  /** POST {@code path} with {@code body} as JSON (e.g. apply: {"name", "plan"}); "STATUS BODY". */
  public String post(String path, Map<String, ?> body) throws IOException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build());
    return r.statusCode() + " " + r.body();
  }

  public String baseUrl() {
    return base.toString();
  }

  public boolean healthy() {
    try {
      return get("/health").statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  public Optional<JsonNode> node(String id) {
    try {
      HttpResponse<String> r = get("/api/nodes/" + id);
      return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** GET /api/journey (JourneyStatus); empty when the controller does not answer. */
  public Optional<JsonNode> journey() {
    try {
      HttpResponse<String> r = get("/api/journey");
      return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** agents_connected from /health (-1 when the controller does not answer). */
  public int agentsConnected() {
    try {
      HttpResponse<String> r = get("/health");
      return r.statusCode() == 200 ? JSON.readTree(r.body()).path("agents_connected").asInt(-1) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  public JsonNode assign(String id, String goalJson) throws IOException {
    HttpRequest req = HttpRequest.newBuilder(base.resolve("/api/nodes/" + id + "/goal"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(goalJson)).build();
    HttpResponse<String> r = send(req);
    if (r.statusCode() != 200) {
      throw new IOException("assign goal to " + id + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** The body of GET {@code path} when it answers 200. */
  public Optional<String> text(String path) {
    try {
      HttpResponse<String> r = get(path);
      return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private HttpResponse<String> get(String path) throws IOException {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).GET().build());
  }

  private HttpResponse<String> send(HttpRequest req) throws IOException {
    try {
      return http.send(credentials.authorize(HttpRequest.newBuilder(req, (name, value) -> true)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
