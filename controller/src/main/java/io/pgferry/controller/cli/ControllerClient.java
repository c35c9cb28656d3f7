package io.pgferry.controller.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.JourneyJson;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The CLI's side of /api/journey: plain blocking HTTP (the CLI has no event loop to protect). */
final class ControllerClient {
  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ControllerClient(String base) {
    this.base = URI.create(base.endsWith("/") ? base : base + "/");
  }

  JsonNode get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  JsonNode post(String path, String body, String contentType) {
    return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private JsonNode send(HttpRequest.Builder request) {
    HttpResponse<String> response;
    try {
      response = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new UsageException("cannot reach the controller at " + base + "; is `pgferry controller run` running?"
          + " (give its address with --controller URL)");
    } catch (IOException e) {
      throw new UsageException("controller at " + base + ": " + e.getMessage());
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
