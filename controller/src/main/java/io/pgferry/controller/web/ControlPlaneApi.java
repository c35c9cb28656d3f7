package io.pgferry.controller.web;

import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.store.Leadership;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.time.Clock;

/** {@code GET /api/control-plane}: {@link ControlPlaneStatus}, built on a worker thread (it asks etcd). */
public final class ControlPlaneApi {
  private final Vertx vertx;
  private final Leadership leadership;
  private final NodeDirectory nodes;
  private final Clock clock;

  public ControlPlaneApi(Vertx vertx, Leadership leadership, NodeDirectory nodes, Clock clock) {
    this.vertx = vertx;
    this.leadership = leadership;
    this.nodes = nodes;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.get("/api/control-plane").handler(rc -> JsonAnswer.answer(vertx, rc, 200,
        () -> ControlPlaneStatus.of(leadership.controlPlane(), nodes.all(), clock.instant())));
  }
}
