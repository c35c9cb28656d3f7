package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.pgferry.common.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The CLI across a controller restart or a spare's takeover: a refused connection is asked again until the API
 * opens, a POST then arrives once, and a controller that never opens is a clear error after the retry window.
 */
class ApiTransportTest {
  private final ByteArrayOutputStream notices = new ByteArrayOutputStream();

  @Test
  void aPostRefusedWhileTheControllerRestartsArrivesOnceItListens() throws Exception {
    int port = freePort();
    AtomicInteger posts = new AtomicInteger();
    Thread opener = new Thread(() -> {
      try {
        Thread.sleep(1200);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/api/journey/resume", x -> {
          posts.incrementAndGet();
          byte[] body = "{\"message\":\"resumed\"}".getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(202, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
        server.start();
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    opener.setDaemon(true);
    opener.start();
    URI base = URI.create("http://127.0.0.1:" + port + "/");
    long started = System.nanoTime();
    HttpResponse<String> r = transport(base, Duration.ofSeconds(8)).send(HttpRequest.newBuilder(base.resolve("api/journey/resume"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")));
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertEquals(202, r.statusCode(), r.body());
    assertEquals(1, posts.get(), "the POST arrived once");
    assertTrue(ms >= 1000, "answered only once the server listened: " + ms + " ms");
    String told = notices.toString(StandardCharsets.UTF_8);
    assertEquals(1, told.lines().count(), "one notice: " + told);
    assertTrue(told.contains("refuses connections; asking again for up to 8 s"), told);
  }

  @Test
  void aControllerThatNeverListensIsAClearErrorAfterTheWindow() throws Exception {
    URI base = URI.create("http://127.0.0.1:" + freePort() + "/");
    long started = System.nanoTime();
    UsageException e = assertThrows(UsageException.class,
        () -> transport(base, Duration.ofSeconds(1)).send(HttpRequest.newBuilder(base.resolve("api/journey")).GET()));
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertTrue(e.getMessage().startsWith("cannot reach the controller at " + base + " (refused for 1 s)"), e.getMessage());
    assertTrue(ms >= 1000 && ms < 5000, "gave up after the window: " + ms + " ms");
  }

  @Test
  void aTokenCrossesPlainHttpOnlyToLoopback() {
    ApiCredentials token = new ApiCredentials(null, null, null, Path.of("/etc/pgferry/api-token"));
    for (String host : List.of("10.0.0.5", "ctl.internal", "localhost.example.com", "[fd00::7]")) {
      UsageException e = assertThrows(UsageException.class, () -> new ApiTransport(URI.create("http://" + host + ":8443/"), token));
      assertEquals("refusing to send the API token over plain http to " + host + ": use https:// (the controller's tls:)",
          e.getMessage());
    }
    for (String host : List.of("127.0.0.1", "127.3.4.5", "[::1]", "localhost")) {
      new ApiTransport(URI.create("http://" + host + ":8443/"), token);
    }
    new ApiTransport(URI.create("https://10.0.0.5:8443/"), token);
    new ApiTransport(URI.create("http://10.0.0.5:8443/"), ApiCredentials.none());
  }

  private ApiTransport transport(URI base, Duration retry) {
    return new ApiTransport(base, ApiCredentials.none(), retry, new PrintStream(notices, true, StandardCharsets.UTF_8));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
