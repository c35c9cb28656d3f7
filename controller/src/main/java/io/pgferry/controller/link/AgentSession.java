package io.pgferry.controller.link;

import io.pgferry.proto.AgentMessage;
import io.pgferry.proto.ControllerMessage;
import io.pgferry.proto.Query;
import io.pgferry.proto.QueryReply;
import io.pgferry.proto.Refusal;
import io.pgferry.proto.Status;
import io.pgferry.proto.StatusNow;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * One agent's open {@code Connect} stream on the controller. Expects Hello first, then Status, Progress and query
 * replies; everything it receives is handed to the {@link LinkDirectory}. Runs on the stream's event loop;
 * {@link #send} and {@link #query} may be called from any thread.
 */
final class AgentSession {
  private static final Logger LOG = Logger.getLogger(AgentSession.class.getName());
  /** Response header of an accepted link (the agent's LinkClient looks for the same name). */
  static final String ACCEPTED_HEADER = "pgferry-link-accepted";

  private final Vertx vertx;
  private final Context context;
  private final GrpcServerRequest<AgentMessage, ControllerMessage> request;
  private final LinkDirectory directory;
  private final Optional<String> certificateName;
  private final String peer;
  private final Map<Long, Promise<Status>> pending = new HashMap<>();
  private long nextQueryId;
  private String nodeId;
  private boolean over;

  AgentSession(Vertx vertx, GrpcServerRequest<AgentMessage, ControllerMessage> request, LinkDirectory directory,
               Optional<String> certificateName) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.request = request;
    this.directory = directory;
    this.certificateName = certificateName;
    this.peer = String.valueOf(request.connection().remoteAddress());
  }

  void start() {
    request.handler(this::onMessage);
    request.endHandler(v -> {
      finish("the agent ended the link");
      request.response().end();
    });
    request.exceptionHandler(e -> finish("link error: " + e.getMessage()));
    request.connection().closeHandler(v -> finish("connection closed"));
    request.response().exceptionHandler(e -> finish("link error: " + e.getMessage()));
  }

  /**
   * The Hello was accepted: send the response headers now, marked {@value #ACCEPTED_HEADER}, so the agent knows the
   * link is up even before there is anything to send it. Called before anything else is written.
   */
  void accept() {
    request.response().headers().set(ACCEPTED_HEADER, "1");
    request.response().writeHead();
  }

  String nodeId() {
    return nodeId;
  }

  Optional<String> certificateName() {
    return certificateName;
  }

  String peer() {
    return peer;
  }

  void send(ControllerMessage message) {
    onContext(() -> {
      if (!over) {
        request.response().write(message);
      }
    });
  }

  /** Sends a Refusal with the reason, then ends the stream. */
  void refuse(String reason) {
    onContext(() -> {
      if (over) {
        return;
      }
      LOG.warning("link: refused " + (nodeId == null ? "an agent" : "node " + nodeId) + " from " + peer + ": " + reason);
      request.response().write(ControllerMessage.newBuilder().setRefusal(Refusal.newBuilder().setReason(reason)).build());
      request.response().status(GrpcStatus.PERMISSION_DENIED).statusMessage(reason).end();
      finish(null);
    });
  }

  Future<Status> query(Duration timeout) {
    Promise<Status> answer = Promise.promise();
    onContext(() -> {
      if (over) {
        answer.fail("node " + nodeId + " is not connected");
        return;
      }
      long id = ++nextQueryId;
      pending.put(id, answer);
      vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
        Promise<Status> waiting = pending.remove(id);
        if (waiting != null) {
          waiting.fail(new TimeoutException("node " + nodeId + " did not answer a status query within " + timeout.toMillis() + " ms"));
        }
      });
      request.response().write(ControllerMessage.newBuilder()
          .setQuery(Query.newBuilder().setId(id).setStatusNow(StatusNow.getDefaultInstance())).build());
    });
    return answer.future();
  }

  private void onMessage(AgentMessage message) {
    if (over) {
      return;
    }
    Instant received = directory.now();
    if (nodeId == null) {
      if (message.getBodyCase() != AgentMessage.BodyCase.HELLO) {
        refuse("the first message on the link must be Hello, got " + message.getBodyCase());
        return;
      }
      String id = message.getHello().getNodeId();
      Optional<String> refusal = directory.attach(this, message.getHello(), received);
      if (refusal.isPresent()) {
        refuse(refusal.get());
      } else {
        nodeId = id;
      }
      return;
    }
    switch (message.getBodyCase()) {
      case STATUS -> directory.onStatus(this, message.getStatus(), received);
      case REPLY -> onReply(message.getReply(), received);
      case HELLO -> refuse("Hello sent twice on one link");
      case BODY_NOT_SET -> LOG.fine(() -> "link: empty message from node " + nodeId);
    }
  }

  private void onReply(QueryReply reply, Instant received) {
    Promise<Status> waiting = pending.remove(reply.getId());
    switch (reply.getKindCase()) {
      case STATUS -> {
        directory.onStatus(this, reply.getStatus(), received);
        if (waiting != null) {
          waiting.complete(reply.getStatus());
        }
      }
      case ERROR -> {
        if (waiting != null) {
          waiting.fail("node " + nodeId + " could not answer: " + reply.getError());
        }
      }
      case KIND_NOT_SET -> {
        if (waiting != null) {
          waiting.fail("node " + nodeId + " sent an empty reply");
        }
      }
    }
  }

  private void finish(String reason) {
    if (over) {
      return;
    }
    over = true;
    pending.values().forEach(p -> p.tryFail("node " + nodeId + " disconnected"));
    pending.clear();
    if (nodeId != null) {
      directory.detach(this, reason == null ? "refused" : reason);
    }
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}
