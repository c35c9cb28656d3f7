package io.pgferry.controller.web;

import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.JourneyJson;
import io.pgferry.controller.standby.AddStandby;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * What `pgferry add-standby` speaks; runs on a worker thread.
 * <pre>
 * POST /api/standby/add?node=NODE[&amp;upstream=NODE]   200 {"message"} | 400 {"error"} (bad input) | 409 {"error"} (not now)
 * </pre>
 */
public final class StandbyApi {
  private final Vertx vertx;
  private final AddStandby addStandby;

  public StandbyApi(Vertx vertx, AddStandby addStandby) {
    this.vertx = vertx;
    this.addStandby = addStandby;
  }

  public void mount(Router router) {
    router.post("/api/standby/add").handler(this::add);
  }

  private void add(RoutingContext rc) {
    String node = rc.queryParams().get("node");
    String upstream = rc.queryParams().get("upstream");
    vertx.executeBlocking(() -> JourneyJson.MAPPER.writeValueAsString(Map.of("message", addStandby.add(node, upstream))),
        false).onComplete(ar -> {
          if (ar.succeeded()) {
            send(rc, 200, ar.result());
            return;
          }
          Throwable e = ar.cause();
          int status = e instanceof UsageException ? 400 : e instanceof IllegalStateException ? 409 : 500;
          try {
            send(rc, status, JourneyJson.MAPPER.writeValueAsString(Map.of("error", String.valueOf(e.getMessage()))));
          } catch (Exception json) {
            send(rc, 500, "{\"error\":\"internal error\"}");
          }
        });
  }

  private static void send(RoutingContext rc, int status, String json) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(json);
  }
}
