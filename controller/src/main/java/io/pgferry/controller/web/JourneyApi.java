package io.pgferry.controller.web;

import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.ProceedTime;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * /api/journey: what `pgferry apply|resume|abort|status` speak. Every call runs the service on a worker thread.
 * <pre>
 * GET  /api/journey          200 JourneyStatus (snake_case JSON)
 * POST /api/journey/apply    body: {"name": "plan.yaml", "plan": "the plan YAML", "hold": "plan"|"none"}   202 {"message"} | 400 {"error"} | 409 {"error"}
 *                            "amend": true: replaces the running/held/stopped journey's plan (`pgferry apply --amend`)
 *                            hold "none": holding before no cutover (`pgferry apply --no-hold`); "plan" (default): the plan's hold:
 * POST /api/journey/resume   202 {"message"} | 400 | 409
 * POST /api/journey/abort    202 {"message"}
 * POST /api/journey/proceed  ?at=ISO-8601 instant (optional)   202 {"message"} | 400
 * POST /api/journey/finish   202 {"message"} | 400 | 409
 * POST /api/journey/ddl/skip   body: {"id": N}   200 {"message"} | 400
 * POST /api/journey/ddl/retry  body: {"id": N}   200 {"message"} | 400
 * </pre>
 * Every POST takes {@code Content-Type: application/json} (the {@link ApiGuard} in front of the router checks it).
 */
public final class JourneyApi {
  private final Vertx vertx;
  private final JourneyService service;

  public JourneyApi(Vertx vertx, JourneyService service) {
    this.vertx = vertx;
    this.service = service;
  }

  public void mount(Router router) {
    router.post("/api/journey/*").handler(BodyHandler.create().setBodyLimit(1024 * 1024));
    router.get("/api/journey").handler(rc -> answer(rc, 200, service::status));
    router.post("/api/journey/apply").handler(rc -> answer(rc, 202, () -> {
      JsonObject body = body(rc);
      String name = body.getString("name", rc.queryParams().get("name"));
      boolean noHold = "none".equals(body.getString("hold", rc.queryParams().get("hold")));
      if (Boolean.TRUE.equals(body.getBoolean("amend", false))) {
        return Map.of("message", service.amend(name == null ? "plan.yaml" : name, body.getString("plan", "")));
      }
      return Map.of("message", service.apply(name == null ? "plan.yaml" : name, body.getString("plan", ""), noHold));
    }));
    router.post("/api/journey/resume").handler(rc -> answer(rc, 202, () -> Map.of("message", service.resume())));
    router.post("/api/journey/proceed").handler(rc -> {
      String at = rc.queryParams().get("at");
      answer(rc, 202, () -> Map.of("message", service.proceed(at == null || at.isBlank() ? null : ProceedTime.instant(at))));
    });
    router.post("/api/journey/finish").handler(rc -> answer(rc, 202, () -> Map.of("message", service.finish())));
    router.post("/api/journey/abort").handler(rc -> answer(rc, 202, () -> Map.of("message", service.requestAbort())));
    router.post("/api/journey/ddl/:action").handler(rc -> answer(rc, 200, () -> {
      Long id = body(rc).getLong("id");
      if (id == null) {
        throw new UsageException("ddl: the body needs {\"id\": N} (the number `pgferry status` shows)");
      }
      return Map.of("message", service.ddl(rc.pathParam("action"), id));
    }));
    router.post("/api/journey/failover").handler(rc -> answer(rc, 202, () -> Map.of("message",
        service.requestFailover("manual switchover requested (pgferry failover)", Map.of("manual", "true")))));
  }

  private static JsonObject body(RoutingContext rc) {
    String text = rc.body() == null ? null : rc.body().asString();
    try {
      return text == null || text.isBlank() ? new JsonObject() : new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new UsageException("the body is not a JSON object: {\"name\": \"plan.yaml\", \"plan\": \"...\"}");
    }
  }

  private void answer(RoutingContext rc, int okStatus, Callable<Object> call) {
    JsonAnswer.answer(vertx, rc, okStatus, call);
  }
}
