package io.pgferry.agent.archive.wal;

import io.pgferry.common.AtomicFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The loopback HTTP endpoint {@code wal-fetch} asks: {@code POST /wal-fetch?segment=NAME&dest=ABS_PATH}. Answers
 * 200 delivered, 404 not in the archive, 422 corrupt (client exits 128), 403 destination outside the data dir,
 * 503 storage trouble (client falls back to a direct fetch), 401 without this start's token (header
 * {@link WalFetchToken#HEADER}, from {@code <state_dir>/wal-fetch.token}). The port is published in
 * {@code <state_dir>/wal-fetch.port} so a shell client (bin/pgferry-agent) can find it without a JVM.
 */
public final class WalFetchEndpoint {
  public static final String PORT_FILE = "wal-fetch.port";
  private static final Logger LOG = Logger.getLogger(WalFetchEndpoint.class.getName());

  private WalFetchEndpoint() {}

  /** {@code prefetcher} may supply null until the agent has an archive goal (answered 503: fetch directly). */
  public static void mount(Vertx vertx, Router router, Supplier<WalPrefetcher> prefetcher, WalFetchToken token) {
    router.post("/wal-fetch").handler(rc -> {
      WalPrefetcher p = prefetcher.get();
      if (!token.matches(rc.request().getHeader(WalFetchToken.HEADER))) {
        rc.response().setStatusCode(401).end("this start's token (" + WalFetchToken.FILE + " in the agent's state_dir) is required\n");
      } else if (p == null) {
        rc.response().setStatusCode(503).end("no archive goal on this agent\n");
      } else {
        handle(vertx, rc, p);
      }
    });
  }

  /** A dedicated server on 127.0.0.1 (port 0: any free one); writes the port file once it listens. */
  public static Future<HttpServer> start(Vertx vertx, int port, WalPrefetcher prefetcher, Path stateDir) {
    return start(vertx, port, () -> prefetcher, stateDir);
  }

  public static Future<HttpServer> start(Vertx vertx, int port, Supplier<WalPrefetcher> prefetcher, Path stateDir) {
    return start(vertx, port, prefetcher, stateDir, null);
  }

  /** {@code osUser}: PostgreSQL's OS user, who runs restore_command and so must read the token (null: the agent's). */
  public static Future<HttpServer> start(Vertx vertx, int port, Supplier<WalPrefetcher> prefetcher, Path stateDir,
                                         String osUser) {
    return vertx.executeBlocking(() -> WalFetchToken.issue(stateDir, osUser)).compose(token -> {
      Router router = Router.router(vertx);
      mount(vertx, router, prefetcher, token);
      return vertx.createHttpServer().requestHandler(router).listen(port, "127.0.0.1");
    })
        .compose(server -> vertx.executeBlocking(() -> {
          writePortFile(stateDir, server.actualPort());
          return server;
        }));
  }

  public static void writePortFile(Path stateDir, int port) throws IOException {
    AtomicFiles.write(stateDir.resolve(PORT_FILE), (port + "\n").getBytes(StandardCharsets.UTF_8),
        PosixFilePermissions.fromString("rw-r--r--"));
  }

  private static void handle(Vertx vertx, RoutingContext rc, WalPrefetcher prefetcher) {
    String segment = rc.request().getParam("segment");
    String dest = rc.request().getParam("dest");
    if (segment == null || dest == null || !dest.startsWith("/")) {
      rc.response().setStatusCode(400).end("segment and an absolute dest are required\n");
      return;
    }
    Path destPath = Path.of(dest);
    if (!prefetcher.destinationAllowed(destPath)) {
      rc.response().setStatusCode(403).end("dest is outside the data directory\n");
      return;
    }
    vertx.executeBlocking(() -> prefetcher.deliver(segment, destPath), false).onComplete(ar -> {
      if (ar.succeeded()) {
        int code = switch (ar.result()) {
          case FETCHED -> 200;
          case NOT_FOUND -> 404;
          case CORRUPT -> 422;
        };
        rc.response().setStatusCode(code).end(ar.result().name() + "\n");
      } else {
        LOG.warning("wal-fetch " + segment + ": " + ar.cause());
        rc.response().setStatusCode(503).end("storage error: " + ar.cause().getMessage() + "\n");
      }
    });
  }
}
