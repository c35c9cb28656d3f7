package io.pgferry.agent.link;

import io.pgferry.proto.AgentLinkGrpcClient;
import io.pgferry.proto.AgentMessage;
import io.pgferry.proto.Assignment;
import io.pgferry.proto.ControllerMessage;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Query;
import io.pgferry.proto.QueryReply;
import io.pgferry.proto.Status;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's end of the link: dials the controller, holds one bidirectional {@code AgentLink.Connect} stream,
 * sends Hello on every (re)connect and a Status every interval, and hands assignments to the {@link LinkHandler}.
 * Reconnects forever with backoff. All state lives on one Vert.x context; the public methods may be called from
 * any thread.
 */
public final class LinkClient {
  private static final Logger LOG = Logger.getLogger(LinkClient.class.getName());
  /** A link that stayed up this long counts as healthy: the next failure starts backing off from the beginning. */
  private static final Duration STABLE_AFTER = Duration.ofSeconds(5);
  /** Response header the controller sets once it accepted the Hello (AgentSession.ACCEPTED_HEADER there). */
  private static final String ACCEPTED_HEADER = "pgferry-link-accepted";

  private final Vertx vertx;
  /** The controllers to dial, in turn (several on etcd: only the leader listens); {@link #settings} is the current one. */
  private final List<LinkSettings> controllers;
  private int current;
  private LinkSettings settings;
  private final LinkHandler handler;
  private final SentStatusTimes sentTimes = new SentStatusTimes(4096);
  private final Duration pingTimeout;

  private Context context;
  private GrpcClient grpc;
  private LinkState state = LinkState.IDLE;
  private volatile boolean connected;
  private Session session;
  private long seq;
  private String nodeId = "";
  private int failures;
  private long retryTimer = -1;
  private String lastLoggedProblem;

  public LinkClient(Vertx vertx, LinkSettings settings, LinkHandler handler) {
    this(vertx, List.of(settings), handler);
  }

  /** Dials the controllers in turn and stays with the one that accepts (they share TLS, interval and backoff). */
  public LinkClient(Vertx vertx, List<LinkSettings> controllers, LinkHandler handler) {
    LinkSettings settings = controllers.get(0);
    this.vertx = vertx;
    this.controllers = List.copyOf(controllers);
    this.settings = settings;
    this.handler = handler;
    Duration interval = settings.statusInterval();
    this.pingTimeout = interval.multipliedBy(10).compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : interval.multipliedBy(10);
  }

  /** Starts dialing; completes at once (the link comes up in the background and keeps retrying). */
  public Future<Void> start() {
    Promise<Void> started = Promise.promise();
    context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      if (state != LinkState.IDLE) {
        started.complete();
        return;
      }
      HttpClientOptions http = new HttpClientOptions().setHttp2ClearTextUpgrade(false);
      if (!settings.insecure()) {
        settings.tls().applyTo(http);
      }
      try {
        grpc = GrpcClient.client(vertx, http);
      } catch (RuntimeException e) {
        started.fail(e);
        return;
      }
      LOG.info(() -> "link: dialing controller " + settings.address() + (settings.insecure() ? " in plaintext (insecure: true)" : " over mutual TLS"));
      dial();
      started.complete();
    });
    return started.future();
  }

  /** Sends a Status now (the core calls this when something it reports changed). */
  public void statusChanged() {
    onContext(() -> {
      if (session != null && session.up) {
        sendStatus(session);
      }
    });
  }

  public boolean connected() {
    return connected;
  }

  public Future<Void> close() {
    if (context == null) {
      return Future.succeededFuture();
    }
    Promise<Void> closed = Promise.promise();
    context.runOnContext(v -> {
      if (state == LinkState.CLOSED) {
        closed.complete();
        return;
      }
      Session s = session;
      setState(LinkState.CLOSED, "closed");
      if (retryTimer >= 0) {
        vertx.cancelTimer(retryTimer);
      }
      if (s != null && !s.over) {
        s.finish();
        if (s.request != null) {
          s.request.end(); // tells the controller this agent left on purpose
        }
      }
      if (grpc == null) {
        closed.complete();
      } else {
        grpc.close().onComplete(ar -> closed.complete());
      }
    });
    return closed.future();
  }

  private void dial() {
    retryTimer = -1;
    if (state == LinkState.CLOSED) {
      return;
    }
    setState(LinkState.CONNECTING, null);
    Session s = new Session();
    session = s;
    grpc.request(SocketAddress.inetSocketAddress(settings.port(), settings.host()), AgentLinkGrpcClient.Connect)
        .onFailure(e -> down(s, describe(e)))
        .onSuccess(request -> {
          if (s.over) {
            request.cancel();
            return;
          }
          s.request = request;
          request.exceptionHandler(e -> down(s, describe(e)));
          request.connection().closeHandler(v -> down(s, "connection closed"));
          Hello hello = handler.hello();
          nodeId = hello.getNodeId();
          s.send(AgentMessage.newBuilder().setHello(hello).build());
          request.response()
              .onFailure(e -> down(s, describe(e)))
              .onSuccess(response -> onResponse(s, response));
        });
  }

  private void onResponse(Session s, GrpcClientResponse<AgentMessage, ControllerMessage> response) {
    if (s.over) {
      return;
    }
    if (response.status() != null && response.status() != GrpcStatus.OK) {
      down(s, "controller answered " + response.status() + describeMessage(response.statusMessage()));
      return;
    }
    response.handler(message -> onMessage(s, message));
    response.exceptionHandler(e -> down(s, describe(e)));
    response.endHandler(v -> down(s, "controller ended the link"
        + (response.status() == null ? "" : " with " + response.status() + describeMessage(response.statusMessage()))));
    if ("1".equals(response.headers().get(ACCEPTED_HEADER))) {
      up(s);
    }
    // otherwise a Refusal follows (or, from a controller that does not mark acceptance, the first message)
  }

  private void up(Session s) {
    if (s.up || s.over) {
      return;
    }
    s.up = true;
    s.upSinceNanos = System.nanoTime();
    setState(LinkState.CONNECTED, null);
    sendStatus(s);
    s.timer = vertx.setPeriodic(settings.statusInterval().toMillis(), id -> tick(s));
  }

  private void tick(Session s) {
    if (s.over) {
      return;
    }
    sendStatus(s);
    HttpConnection connection = s.request.connection();
    long now = System.nanoTime();
    if (s.pingSentNanos < 0) {
      s.pingSentNanos = now;
      connection.ping(Buffer.buffer("pgferry1")).onSuccess(b -> s.pingSentNanos = -1);
    } else if (now - s.pingSentNanos > pingTimeout.toNanos()) {
      down(s, "controller did not answer an HTTP/2 ping for " + pingTimeout.toSeconds() + " s");
      connection.close();
    }
  }

  private void onMessage(Session s, ControllerMessage message) {
    if (s.over) {
      return;
    }
    if (message.getBodyCase() != ControllerMessage.BodyCase.REFUSAL) {
      up(s);
    }
    switch (message.getBodyCase()) {
      case ASSIGNMENT -> onAssignment(message.getAssignment());
      case QUERY -> onQuery(s, message.getQuery());
      case REFUSAL -> {
        down(s, "controller refused the link: " + message.getRefusal().getReason());
        s.request.cancel();
      }
      case BODY_NOT_SET -> LOG.fine("link: empty message from the controller (newer controller?)");
    }
  }

  private void onAssignment(Assignment assignment) {
    OptionalLong expiresAt = OptionalLong.empty();
    if (assignment.hasLease()) {
      OptionalLong sent = sentTimes.sentNanos(assignment.getLease().getStatusSeq());
      if (sent.isPresent()) {
        expiresAt = OptionalLong.of(sent.getAsLong() + TimeUnit.MILLISECONDS.toNanos(assignment.getLease().getDurationMs()));
      } else {
        LOG.warning("link: lease granted against Status seq " + assignment.getLease().getStatusSeq() + " which this agent does not remember; treating it as no lease");
      }
    }
    handler.onAssignment(assignment.getGoal(), expiresAt);
  }

  private void onQuery(Session s, Query query) {
    QueryReply.Builder reply = QueryReply.newBuilder().setId(query.getId());
    switch (query.getKindCase()) {
      case STATUS_NOW -> handler.observeNow().whenComplete((v, e) -> context.runOnContext(x -> {
        reply.setStatus(stamp()); // observed now, or the last observation when that failed
        s.send(AgentMessage.newBuilder().setReply(reply).build());
      }));
      case KIND_NOT_SET -> s.send(AgentMessage.newBuilder().setReply(
          reply.setError("unknown query (the agent is older than the controller)")).build());
    }
  }

  private void sendStatus(Session s) {
    if (s.request.writeQueueFull()) {
      return; // the next tick sends a fresher one
    }
    s.send(AgentMessage.newBuilder().setStatus(stamp()).build());
  }

  private Status stamp() {
    Status.Builder status = handler.status().toBuilder();
    if (status.getNodeId().isEmpty()) {
      status.setNodeId(nodeId);
    }
    long n = ++seq;
    sentTimes.record(n, System.nanoTime());
    return status.setSeq(n).setSentAtUnixMs(System.currentTimeMillis()).build();
  }

  private void down(Session s, String reason) {
    if (s.over || state == LinkState.CLOSED) {
      return;
    }
    s.finish();
    if (s.up && System.nanoTime() - s.upSinceNanos >= STABLE_AFTER.toNanos()) {
      failures = 0;
    }
    // the next controller at once; the backoff only after each had its turn (only the leader accepts)
    current = (current + 1) % controllers.size();
    settings = controllers.get(current);
    Duration delay = current != 0 ? Duration.ofMillis(20) : capInJourney(settings.backoff().delay(failures++));
    setState(LinkState.WAITING, reason);
    if (!reason.equals(lastLoggedProblem)) {
      LOG.warning("link: " + reason + "; retrying (next in " + delay.toMillis() + " ms, backing off up to " + settings.backoff().max().toMillis() + " ms)");
      lastLoggedProblem = reason;
    } else {
      LOG.fine(() -> "link: " + reason + "; retrying in " + delay.toMillis() + " ms");
    }
    retryTimer = vertx.setTimer(Math.max(1, delay.toMillis()), id -> dial());
  }

  /**
   * A node in the journey (PRIMARY, archive replica, streaming standby) redials every 100 ms at most: a PRIMARY's
   * lease is renewed only over the link, and a restarted controller resumes a cutover (the app paused meanwhile)
   * once the agents are back (docs/failsafe.md): half the interval is, on average, added to every write gap a
   * controller restart causes. A refused dial costs the controller's host a SYN and a RST. Other states back off up
   * to the settings' maximum.
   */
  private Duration capInJourney(Duration delay) {
    NodeState state;
    try {
      state = handler.status().getState();
    } catch (RuntimeException e) {
      state = NodeState.NODE_STATE_UNSPECIFIED;
    }
    boolean inJourney = state == NodeState.PRIMARY || state == NodeState.ARCHIVE_REPLICA || state == NodeState.STREAMING_STANDBY;
    return inJourney && delay.compareTo(IN_JOURNEY_MAX_BACKOFF) > 0 ? IN_JOURNEY_MAX_BACKOFF : delay;
  }

  static final Duration IN_JOURNEY_MAX_BACKOFF = Duration.ofMillis(100);

  private void setState(LinkState next, String reason) {
    if (next == state) {
      return;
    }
    LinkState previous = state;
    state = next;
    boolean nowConnected = next == LinkState.CONNECTED;
    if (nowConnected) {
      lastLoggedProblem = null;
      LOG.info(() -> "link: connected to controller " + settings.address());
    } else if (previous == LinkState.CONNECTED && next != LinkState.CLOSED) {
      LOG.log(Level.INFO, "link: disconnected from controller " + settings.address() + ": " + reason);
    }
    if (nowConnected != connected) {
      connected = nowConnected;
      handler.onLinkState(nowConnected);
    }
  }

  private void onContext(Runnable action) {
    if (context == null) {
      return;
    }
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  private static String describeMessage(String statusMessage) {
    return statusMessage == null || statusMessage.isBlank() ? "" : ": " + statusMessage;
  }

  /** IDLE -> CONNECTING -> CONNECTED -> WAITING -> CONNECTING ...; any -> CLOSED. */
  enum LinkState { IDLE, CONNECTING, CONNECTED, WAITING, CLOSED }

  /** One attempt at the stream; once over, nothing it receives counts. */
  private final class Session {
    GrpcClientRequest<AgentMessage, ControllerMessage> request;
    boolean up;
    boolean over;
    long upSinceNanos;
    long timer = -1;
    long pingSentNanos = -1;

    void send(AgentMessage message) {
      if (!over && request != null) {
        request.write(message);
      }
    }

    void finish() {
      over = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
  }
}
