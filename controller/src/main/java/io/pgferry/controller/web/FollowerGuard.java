package io.pgferry.controller.web;

import io.pgferry.controller.store.Leadership;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * On a controller that does not lead (store: etcd): reads (GET, HEAD) are served from the shared store, every other
 * request is answered 503 with the leader's address, so an operator or script retries there.
 */
public final class FollowerGuard implements Handler<RoutingContext> {
  private final Leadership leadership;

  public FollowerGuard(Leadership leadership) {
    this.leadership = leadership;
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpMethod m = rc.request().method();
    if (m == HttpMethod.GET || m == HttpMethod.HEAD || leadership.leading()) {
      rc.next();
      return;
    }
    String leader = leadership.leader().orElse(null);
    JsonObject body = new JsonObject().put("error", "this controller does not lead; "
        + (leader == null ? "no leader is elected now, retry in a few seconds" : "send it to the leader at " + leader));
    if (leader != null) {
      body.put("leader", leader);
    }
    rc.response().setStatusCode(503).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
