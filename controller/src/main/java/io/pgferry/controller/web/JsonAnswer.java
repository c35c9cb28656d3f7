package io.pgferry.controller.web;

import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.JourneyJson;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Runs an API call on a worker thread and answers with its JSON: {@code okStatus} and the result, or
 * {"error": message} with 400 (bad input), 409 (not now) or 500.
 */
final class JsonAnswer {
  private JsonAnswer() {}

  static void answer(Vertx vertx, RoutingContext rc, int okStatus, Callable<Object> call) {
    vertx.executeBlocking(() -> JourneyJson.MAPPER.writeValueAsString(call.call()), false).onComplete(ar -> {
      if (ar.succeeded()) {
        send(rc, okStatus, ar.result());
        return;
      }
      Throwable e = ar.cause();
      int status = e instanceof UsageException ? 400 : e instanceof IllegalStateException ? 409 : 500;
      try {
        send(rc, status, JourneyJson.MAPPER.writeValueAsString(Map.of("error", String.valueOf(Secrets.redact(e.getMessage())))));
      } catch (Exception json) {
        send(rc, 500, "{\"error\":\"internal error\"}");
      }
    });
  }

  private static void send(RoutingContext rc, int status, String json) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(json);
  }
}
