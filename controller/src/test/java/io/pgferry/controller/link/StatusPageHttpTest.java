package io.pgferry.controller.link;

import static io.pgferry.controller.link.LinkTest.await;
import static io.pgferry.controller.link.LinkTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.link.LinkClient;
import io.pgferry.agent.link.LinkSettings;
import io.pgferry.controller.daemon.ControllerConfig;
import io.pgferry.controller.daemon.ControllerDaemon;
import io.pgferry.testkit.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller daemon serves the status page, its assets, the journey API and the lag history it charts. */
class StatusPageHttpTest {
  @TempDir
  Path dir;

  Vertx vertx;
  ControllerDaemon controller;
  LinkClient client;

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      await(client.close());
    }
    if (controller != null) {
      await(controller.close());
    }
    await(vertx.close());
  }

  @Test
  void pageAssetsJourneyAndLagHistory() throws Exception {
    vertx = Vertx.vertx();
    int linkPort = FreePorts.next();
    controller = await(ControllerDaemon.start(vertx, ControllerConfig.parse("c.yaml",
        "listen: {host: 127.0.0.1, port: " + linkPort + "}\ninsecure: true\nhttp: {host: 127.0.0.1, port: 0}\nmetrics: {host: 127.0.0.1, port: 0}\n"
            + "state_dir: " + dir + "\n")));

    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
    assertTrue(page.body().contains("<script src=\"/status/status.js\">"), page.body());
    assertTrue(!page.body().contains("http://") && !page.body().contains("https://"), "no outside asset: " + page.body());
    assertEquals(200, get("/status/status.js").statusCode());
    assertTrue(get("/status/status.js").body().contains("/api/lag-history"));
    assertTrue(get("/status/status.css").headers().firstValue("Content-Type").orElse("").startsWith("text/css"));
    assertEquals(404, get("/status/nothing.js").statusCode());
    assertEquals("IDLE", new JsonObject(get("/api/journey").body()).getString("state"), "the journey is wired");

    client = new LinkClient(vertx, LinkSettings.insecure("127.0.0.1", linkPort).withStatusInterval(Duration.ofMillis(100)),
        new TestAgent("b"));
    await(client.start());
    waitFor("two lag samples of b", () -> {
      JsonArray b = lagHistory().getJsonObject("nodes").getJsonArray("b");
      return b != null && b.size() >= 2;
    });
    JsonArray first = lagHistory().getJsonObject("nodes").getJsonArray("b").getJsonArray(0);
    // TestAgent reports replay lag 4096: the history keeps the replay lag (upstream_lag_bytes left the protocol)
    assertEquals(4096L, first.getLong(1), first.toString());
    assertTrue(first.getLong(0) > 0, first.toString());
  }

  private JsonObject lagHistory() {
    try {
      return new JsonObject(get("/api/lag-history").body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.httpPort() + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
