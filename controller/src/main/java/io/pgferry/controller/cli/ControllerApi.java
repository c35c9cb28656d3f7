package io.pgferry.controller.cli;

import io.pgferry.common.UsageException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** The CLI's client for the controller's JSON API (blocking; CLI threads only). */
final class ControllerApi {
  private final URI base;
  private final ApiTransport transport;

  ControllerApi(URI base, ApiCredentials credentials) {
    this.base = base;
    this.transport = new ApiTransport(base, credentials);
  }

  JsonArray nodes() {
    return new JsonArray(send(HttpRequest.newBuilder(resolve("/api/nodes")).GET()));
  }

  JsonObject assignGoal(String nodeId, JsonObject goal) {
    return new JsonObject(send(HttpRequest.newBuilder(resolve("/api/nodes/" + nodeId + "/goal"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(goal.encode()))));
  }

  private URI resolve(String path) {
    String text = base.toString();
    return URI.create((text.endsWith("/") ? text.substring(0, text.length() - 1) : text) + path);
  }

  private String send(HttpRequest.Builder request) {
    HttpResponse<String> response;
    try {
      response = transport.send(request);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (response.statusCode() / 100 != 2) {
      String message = response.body();
      try {
        message = new JsonObject(response.body()).getString("error", message);
      } catch (DecodeException | ClassCastException ignored) {
        // not JSON: show the body as it is
      }
      String where = "controller at " + base + " answered " + response.statusCode() + ": " + message.strip();
      if (response.statusCode() / 100 == 4) {
        throw new UsageException(where);
      }
      throw new IllegalStateException(where);
    }
    return response.body();
  }
}
