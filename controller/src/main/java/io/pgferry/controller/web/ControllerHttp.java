package io.pgferry.controller.web;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.link.AgentIdentity;
import io.pgferry.controller.link.LinkDirectory;
import io.pgferry.proto.Goal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The controller's HTTP side: {@code /health}, {@code /metrics} (Prometheus text) and the JSON API the CLI speaks:
 * {@code GET /api/nodes}, {@code GET /api/nodes/{id}}, {@code POST /api/nodes/{id}/goal}; with a journey service also
 * /api/journey ({@link JourneyApi}); the status page at {@code GET /} ({@link StatusPage}) and the lag history it
 * charts at {@code GET /api/lag-history}. Errors are {@code {"error": "..."}} with 400 for bad input, 404 for
 * unknown nodes; 401/403/415 from {@link ApiGuard}. {@code /health} and {@code /metrics} are served on the API
 * (without credentials) and on their own read-only listener ({@link #listenMetrics}).
 */
public final class ControllerHttp {
  private static final Logger LOG = Logger.getLogger(ControllerHttp.class.getName());
  /** One sample a second: ten minutes of lag on the status page's chart. */
  private static final int LAG_SAMPLES = 600;

  private final Vertx vertx;
  private final LinkDirectory directory;
  private final PrometheusMeterRegistry registry;
  private final ControllerMetrics metrics;
  private final Clock clock;
  private final JourneyService journey;
  private final LagHistory lagHistory;

  public ControllerHttp(Vertx vertx, LinkDirectory directory, PrometheusMeterRegistry registry, Clock clock) {
    this(vertx, directory, registry, clock, null);
  }

  /** {@code journey} null: no /api/journey (the page then shows "no journey"). */
  public ControllerHttp(Vertx vertx, LinkDirectory directory, PrometheusMeterRegistry registry, Clock clock,
                        JourneyService journey) {
    this.vertx = vertx;
    this.journey = journey;
    this.lagHistory = new LagHistory(directory::all, clock, LAG_SAMPLES);
    this.directory = directory;
    this.registry = registry;
    this.clock = clock;
    this.metrics = new ControllerMetrics(registry, directory, clock);
  }

  private final List<Consumer<Router>> mounts = new ArrayList<>();

  /** Adds routes of another part (the journey API, the status page) before {@link #listen}. */
  public ControllerHttp mount(Consumer<Router> routes) {
    mounts.add(routes);
    return this;
  }

  /** The control API without authentication, on plain HTTP (insecure: true; tests). */
  public Future<HttpServer> listen(String host, int port) {
    return listen(host, port, ApiAccess.insecure());
  }

  /**
   * The control API: every route behind one {@link ApiGuard}, installed before any route, so routes mounted by other
   * parts (and new ones) need no check of their own.
   */
  public Future<HttpServer> listen(String host, int port, ApiAccess access) {
    Router router = Router.router(vertx);
    router.route().handler(new ApiGuard(access));
    mounts.forEach(m -> m.accept(router));
    readOnly(router);
    router.get("/api/nodes").handler(rc -> {
      JsonArray nodes = new JsonArray();
      directory.all().forEach(n -> nodes.add(NodeJson.node(n, clock)));
      json(rc, 200, nodes);
    });
    router.get("/api/nodes/:id").handler(rc -> directory.node(rc.pathParam("id")).ifPresentOrElse(
        n -> json(rc, 200, NodeJson.node(n, clock)),
        () -> error(rc, 404, "no node " + rc.pathParam("id"))));
    router.post("/api/nodes/:id/goal").handler(BodyHandler.create().setBodyLimit(64 * 1024)).handler(this::assign);
    router.get("/api/lag-history").handler(rc -> json(rc, 200, lagHistory.json()));
    if (journey != null) {
      new JourneyApi(vertx, journey).mount(router);
    }
    StatusPage.mount(router);
    long sampler = vertx.setPeriodic(1000, id -> lagHistory.sample());
    String scheme = access.https() ? "https" : "http";
    return vertx.createHttpServer(access.applyTo(new HttpServerOptions().setHost(host).setPort(port))).requestHandler(router).listen()
        .onFailure(e -> vertx.cancelTimer(sampler))
        .onSuccess(s -> LOG.info("http: the control API (/api, the status page) on " + scheme + "://" + host + ":" + s.actualPort()
            + "/: " + access.describe()));
  }

  /** The read-only listener for Prometheus and health checks: {@code /metrics} and {@code /health}, no credentials. */
  public Future<HttpServer> listenMetrics(String host, int port) {
    Router router = Router.router(vertx);
    readOnly(router);
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port)).requestHandler(router).listen()
        .onSuccess(s -> LOG.info("http: /metrics and /health (read-only, no credentials) on http://" + host + ":" + s.actualPort() + "/"));
  }

  private void readOnly(Router router) {
    router.get("/health").handler(rc -> json(rc, 200, new JsonObject().put("status", "ok")
        .put("agents_connected", directory.connectedCount())));
    router.get("/metrics").handler(rc -> {
      metrics.refresh();
      rc.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
    });
  }

  private void assign(RoutingContext rc) {
    String nodeId = rc.pathParam("id");
    String body = rc.body().asString();
    vertx.executeBlocking(() -> {
      if (!AgentIdentity.validNodeId(nodeId)) {
        throw new UsageException("node id '" + nodeId + "' is not valid: use lower-case letters, digits and '-'");
      }
      Goal goal = NodeJson.goal(body == null || body.isBlank() ? "{}" : body);
      return directory.assign(nodeId, goal);
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        json(rc, 200, NodeJson.message(ar.result()));
      } else if (ar.cause() instanceof UsageException) {
        error(rc, 400, ar.cause().getMessage());
      } else {
        LOG.warning("assigning a goal to " + nodeId + " failed: " + ar.cause());
        error(rc, 500, String.valueOf(ar.cause().getMessage()));
      }
    });
  }

  private static void json(RoutingContext rc, int status, Object body) {
    String text = body instanceof JsonArray a ? a.encodePrettily() : ((JsonObject) body).encodePrettily();
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(text + "\n");
  }

  private static void error(RoutingContext rc, int status, String message) {
    json(rc, status, new JsonObject().put("error", Secrets.redact(message)));
  }
}
