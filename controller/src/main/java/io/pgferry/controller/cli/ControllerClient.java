package io.pgferry.controller.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.JourneyJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** The CLI's side of /api/journey: plain blocking HTTP (the CLI has no event loop to protect). */
final class ControllerClient {
  private final URI base;
  private final ApiTransport transport;

  ControllerClient(String base, ApiCredentials credentials) {
    this.base = URI.create(base.endsWith("/") ? base : base + "/");
    this.transport = new ApiTransport(this.base, credentials);
  }

  JsonNode get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  /** POST with an empty JSON object: the API takes only {@code application/json} bodies. */
  JsonNode post(String path) {
    return post(path, Map.of());
  }

  /** POST {@code body} as JSON (a map, a record, a JsonNode). */
  JsonNode post(String path, Object body) {
    String json;
    try {
      json = JourneyJson.MAPPER.writeValueAsString(body);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a request body: " + e.getMessage(), e);
    }
    return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private JsonNode send(HttpRequest.Builder request) {
    HttpResponse<String> response;
    try {
      response = transport.send(request);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UsageException("interrupted");
    }
    JsonNode json;
    try {
      json = JourneyJson.MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new UsageException("controller at " + base + " answered " + response.statusCode() + " without JSON");
    }
    if (response.statusCode() >= 400) {
      throw new UsageException(json.path("error").asText("controller answered " + response.statusCode()));
    }
    return json;
  }
}
