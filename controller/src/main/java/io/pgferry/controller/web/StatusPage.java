package io.pgferry.controller.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The status page: {@code GET /} and its two assets under {@code /status/}, read once from the classpath into
 * memory (no file cache on disk: the controller unit runs with a read-only file system). The page polls
 * /api/journey, /api/nodes and /api/lag-history every second.
 */
public final class StatusPage {
  private static final String BASE = "/io/pgferry/controller/web/status/";
  private static final Map<String, String> ASSETS = Map.of(
      "index.html", "text/html; charset=utf-8",
      "status.js", "text/javascript; charset=utf-8",
      "status.css", "text/css; charset=utf-8");

  private StatusPage() {}

  public static void mount(Router router) {
    ASSETS.forEach((name, type) -> {
      Buffer body = Buffer.buffer(read(name));
      String path = name.equals("index.html") ? "/" : "/status/" + name;
      router.get(path).handler(rc -> rc.response().putHeader("Content-Type", type)
          .putHeader("Cache-Control", "no-cache").end(body));
    });
  }

  /** One of the page's files (index.html, status.js, status.css) as text, as it is served. */
  public static String asset(String name) {
    return new String(read(name), StandardCharsets.UTF_8);
  }

  private static byte[] read(String name) {
    try (InputStream in = StatusPage.class.getResourceAsStream(BASE + name)) {
      if (in == null) {
        throw new IllegalStateException("status page asset " + BASE + name + " missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
