package io.pgferry.controller.web;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.pgferry.common.UsageException;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.Goal;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** The JSON forms the HTTP API speaks: node views out, goals in. Protobuf messages keep their proto field names. */
public final class NodeJson {
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().preservingProtoFieldNames().alwaysPrintFieldsWithNoPresence();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private NodeJson() {}

  public static JsonObject node(NodeView view, Clock clock) {
    Instant now = clock.instant();
    JsonObject json = new JsonObject()
        .put("node_id", view.nodeId())
        .put("connected", view.connected())
        .put("last_seen", view.lastSeen() == null ? null : view.lastSeen().toString())
        .put("last_seen_age_ms", view.lastSeen() == null ? null : Duration.between(view.lastSeen(), now).toMillis())
        .put("lease_expires_at", view.leaseExpiresAt().map(Instant::toString).orElse(null))
        .put("lease_remaining_ms", view.leaseExpiresAt().map(t -> Math.max(0, Duration.between(now, t).toMillis())).orElse(null))
        .put("goal", message(view.goal()))
        .put("hello", message(view.hello()))
        .put("status", message(view.status()));
    return json;
  }

  public static JsonObject message(Message message) {
    try {
      return new JsonObject(PRINTER.print(message));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A Goal in its proto JSON form ({@code {"state":"PRIMARY"}}, ...); the generation is the directory's to set. */
  public static Goal goal(String body) {
    Goal.Builder goal = Goal.newBuilder();
    try {
      PARSER.merge(body, goal);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new UsageException("goal: not a valid goal (" + e.getMessage() + "); send e.g. {\"state\":\"PRIMARY\"}");
    }
    return goal.clearGeneration().build();
  }
}
