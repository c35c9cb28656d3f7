package io.pgferry.agent.metrics;

import io.pgferry.agent.NodeAgent;
import io.pgferry.proto.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * The agent's HTTP endpoint: GET /metrics (Prometheus text 0.0.4) and GET /health (JSON; 503 when PostgreSQL
 * should run but does not). Other parts (the archive engine's loopback wal-fetch) add routes via {@link #router()}.
 */
public final class HttpEndpoint {
  private final Vertx vertx;
  private final Router router;
  private HttpServer server;

  public HttpEndpoint(Vertx vertx, NodeAgent agent, AgentMetrics metrics) {
    this.vertx = vertx;
    this.router = Router.router(vertx);
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.registry().scrape()));
    router.get("/health").handler(rc -> {
      Status s = agent.reporter().current();
      boolean unhealthy = agent.postgresShouldRun() && !s.getPgRunning();
      JsonObject body = new JsonObject()
          .put("node_id", s.getNodeId())
          .put("state", s.getState().name())
          .put("goal_generation", s.getGoalGeneration())
          .put("pg_running", s.getPgRunning())
          .put("pg_reachable", s.getPgReachable())
          .put("in_recovery", s.getInRecovery())
          .put("link_connected", agent.linkConnected())
          .put("transition", s.getTransition())
          .put("last_error", s.getLastError())
          .put("healthy", !unhealthy);
      rc.response().setStatusCode(unhealthy ? 503 : 200).putHeader("Content-Type", "application/json").end(body.encode());
    });
  }

  public Router router() {
    return router;
  }

  public Future<HttpServer> listen(String host, int port) {
    return vertx.createHttpServer().requestHandler(router).listen(port, host).onSuccess(s -> server = s);
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return server == null ? -1 : server.actualPort();
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

}
