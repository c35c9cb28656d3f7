package io.pgferry.controller.web;

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
    JsonAnswer.answer(vertx, rc, 200, () -> Map.of("message", addStandby.add(node, upstream)));
  }
}
