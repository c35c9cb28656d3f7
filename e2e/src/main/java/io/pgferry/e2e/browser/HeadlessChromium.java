package io.pgferry.e2e.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's Chromium, headless, driven over the DevTools protocol with the JDK's own WebSocket client (no Selenium,
 * no browser download): open a page, evaluate JavaScript in it, take a screenshot. Flags as the machine notes say
 * work here (no background networking: this machine has no network beyond loopback).
 */
public final class HeadlessChromium implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");

  private final Process process;
  private final WebSocket socket;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

  private HeadlessChromium(Process process, WebSocket socket) {
    this.process = process;
    this.socket = socket;
  }

  public static String binary() {
    return System.getProperty("pgferry.chromium", "/usr/bin/chromium");
  }

  /** Starts Chromium on {@code url} with a fresh profile in {@code profileDir}; its stderr goes to {@code log}. */
  public static HeadlessChromium open(String url, Path profileDir, Path log, int width, int height) throws IOException {
    return open(url, profileDir, null, log, width, height);
  }

  /** {@code home}: the browser's HOME, whose NSS database holds the client certificate ({@link BrowserCertificate}). */
  public static HeadlessChromium open(String url, Path profileDir, BrowserCertificate home, Path log, int width, int height)
      throws IOException {
    Files.createDirectories(profileDir);
    List<String> argv = new ArrayList<>(List.of(binary(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + profileDir,
        "--window-size=" + width + "," + height, url));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    if (home != null) {
      pb.environment().put("HOME", home.home().toString());
    }
    Process p = pb.start();
    try {
      String browserWs = awaitListening(p, log);
      URI browser = URI.create(browserWs);
      String pageWs = pageTarget(browser.getHost() + ":" + browser.getPort());
      CdpListener listener = new CdpListener();
      WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
          .buildAsync(URI.create(pageWs), listener).get(10, TimeUnit.SECONDS);
      HeadlessChromium chromium = new HeadlessChromium(p, ws);
      listener.owner = chromium;
      return chromium;
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IOException("chromium did not start: " + e.getMessage() + " (log: " + log + ")", e);
    }
  }

  /** Evaluates {@code expression} in the page and returns its value as JSON (promises awaited). */
  public JsonNode eval(String expression) {
    ObjectNode params = JSON.createObjectNode().put("expression", expression).put("returnByValue", true)
        .put("awaitPromise", true);
    JsonNode result = call("Runtime.evaluate", params);
    if (result.has("exceptionDetails")) {
      throw new IllegalStateException("page script failed: " + result.path("exceptionDetails").toString());
    }
    return result.path("result").path("value");
  }

  /** The whole page (beyond the window when it is taller), as PNG. */
  public void screenshot(Path png) throws IOException {
    JsonNode size = call("Page.getLayoutMetrics", JSON.createObjectNode()).path("cssContentSize");
    ObjectNode params = JSON.createObjectNode().put("format", "png").put("captureBeyondViewport", true);
    params.putObject("clip").put("x", 0).put("y", 0).put("width", size.path("width").asDouble())
        .put("height", size.path("height").asDouble()).put("scale", 1);
    JsonNode shot = call("Page.captureScreenshot", params);
    Files.createDirectories(png.toAbsolutePath().getParent());
    Files.write(png, Base64.getDecoder().decode(shot.path("data").asText()));
  }

  public JsonNode call(String method, JsonNode params) {
    long id = ids.incrementAndGet();
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    pending.put(id, reply);
    ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
    msg.set("params", params);
    try {
      socket.sendText(JSON.writeValueAsString(msg), true).get(10, TimeUnit.SECONDS);
      JsonNode answer = reply.get(30, TimeUnit.SECONDS);
      if (answer.has("error")) {
        throw new IllegalStateException(method + ": " + answer.path("error"));
      }
      return answer.path("result");
    } catch (Exception e) {
      throw new IllegalStateException("DevTools " + method + " failed: " + e.getMessage(), e);
    } finally {
      pending.remove(id);
    }
  }

  @Override
  public void close() {
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(2, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the browser goes anyway
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** Reads stderr until the DevTools line, copying everything to the log; a thread keeps draining it after. */
  private static String awaitListening(Process p, Path log) throws Exception {
    Files.createDirectories(log.toAbsolutePath().getParent());
    CompletableFuture<String> found = new CompletableFuture<>();
    Thread drain = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
           PrintWriter out = new PrintWriter(Files.newBufferedWriter(log), true)) {
        String line;
        while ((line = in.readLine()) != null) {
          out.println(line);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            found.complete(m.group(1));
          }
        }
        found.completeExceptionally(new IOException("chromium exited (" + (p.isAlive() ? "?" : p.waitFor()) + ")"));
      } catch (IOException | InterruptedException e) {
        found.completeExceptionally(e);
      }
    }, "chromium-stderr");
    drain.setDaemon(true);
    drain.start();
    return found.get(60, TimeUnit.SECONDS);
  }

  private static String pageTarget(String hostPort) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + hostPort + "/json/list"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      for (JsonNode target : JSON.readTree(r.body())) {
        if ("page".equals(target.path("type").asText())) {
          return target.path("webSocketDebuggerUrl").asText();
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("no page target in " + r.body());
      }
      Thread.sleep(200);
    }
  }

  private static final class CdpListener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();
    private volatile HeadlessChromium owner;

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        try {
          JsonNode msg = JSON.readTree(text);
          HeadlessChromium o = owner;
          if (msg.has("id") && o != null) {
            CompletableFuture<JsonNode> f = o.pending.get(msg.path("id").asLong());
            if (f != null) {
              f.complete(msg);
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      webSocket.request(1);
      return null;
    }
  }
}
