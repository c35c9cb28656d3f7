package io.pgferry.testkit;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HTTP proxy in front of an S3-compatible server (usually {@link S3Server}) that misbehaves on request:
 * answers 503 SlowDown the next N times, and rejects requests signed with an access key other than the expected
 * one with 403 InvalidAccessKeyId, as S3 does. Everything else is forwarded unchanged. Always close it.
 */
public final class FaultyHttpProxy implements AutoCloseable {
  private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]+)/");
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "te",
      "trailer", "upgrade", "proxy-connection", "content-length", "expect");

  private final Vertx vertx;
  private final HttpClient client;
  private final HttpServer server;
  private final URI target;
  private final AtomicInteger failNext = new AtomicInteger();
  private final AtomicInteger served503 = new AtomicInteger();
  private final AtomicInteger served403 = new AtomicInteger();
  private final AtomicInteger forwarded = new AtomicInteger();
  private final AtomicInteger cutNext = new AtomicInteger();
  private final AtomicInteger cut = new AtomicInteger();
  private final List<String> log = new CopyOnWriteArrayList<>();
  private volatile String expectedAccessKey;

  private FaultyHttpProxy(URI target) throws Exception {
    this.target = target;
    this.vertx = Vertx.vertx();
    this.client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(target.getHost())
        .setDefaultPort(target.getPort()).setKeepAlive(true));
    this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
        .setMaxInitialLineLength(16384).setMaxHeaderSize(65536)
        .setHandle100ContinueAutomatically(true)) // clients (the AWS SDK) send Expect: 100-continue on PUT
        .requestHandler(this::handle)
        .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Starts a proxy that forwards to {@code target} (http://host:port). */
  public static FaultyHttpProxy start(URI target) {
    try {
      return new FaultyHttpProxy(target);
    } catch (Exception e) {
      throw new IllegalStateException("faulty proxy: could not start in front of " + target, e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.actualPort());
  }

  /** The next {@code n} requests get 503 SlowDown without reaching the server. */
  public FaultyHttpProxy failNext(int n) {
    failNext.set(n);
    return this;
  }

  /**
   * The next {@code n} GET answers with a body are cut off halfway: headers promise the whole length, half the
   * body is sent, then the connection is closed (a dropped download).
   */
  public FaultyHttpProxy cutNextBodies(int n) {
    cutNext.set(n);
    return this;
  }

  public int cut() {
    return cut.get();
  }

  /** Requests signed with another access key get 403 InvalidAccessKeyId; null accepts any key. */
  public FaultyHttpProxy expectAccessKey(String accessKeyId) {
    this.expectedAccessKey = accessKeyId;
    return this;
  }

  public int served503() {
    return served503.get();
  }

  public int served403() {
    return served403.get();
  }

  public int forwarded() {
    return forwarded.get();
  }

  /** "METHOD uri -> status" for every request, in arrival order. */
  public List<String> log() {
    return List.copyOf(log);
  }

  private void handle(HttpServerRequest req) {
    req.body().onComplete(body -> {
      if (body.failed()) {
        req.response().setStatusCode(400).end();
        return;
      }
      String key = accessKey(req.getHeader("Authorization"));
      String expected = expectedAccessKey;
      if (expected != null && !expected.equals(key)) {
        served403.incrementAndGet();
        answer(req, 403, "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.");
        return;
      }
      if (failNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
        served503.incrementAndGet();
        answer(req, 503, "SlowDown", "Please reduce your request rate.");
        return;
      }
      forward(req, body.result());
    });
  }

  private static String accessKey(String authorization) {
    if (authorization == null) {
      return null;
    }
    Matcher m = CREDENTIAL.matcher(authorization);
    return m.find() ? m.group(1) : null;
  }

  private void answer(HttpServerRequest req, int status, String code, String message) {
    log.add(req.method() + " " + req.uri() + " -> " + status);
    String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message
        + "</Message><RequestId>pgferry-proxy</RequestId><HostId>pgferry-proxy</HostId></Error>";
    req.response().setStatusCode(status).putHeader("Content-Type", "application/xml")
        .putHeader("x-amz-request-id", "pgferry-proxy").end(xml);
  }

  private void forward(HttpServerRequest req, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(req.method()).setHost(target.getHost())
        .setPort(target.getPort()).setURI(req.uri());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    req.headers().forEach(h -> {
      if (!HOP_BY_HOP.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        headers.add(h.getKey(), h.getValue());
      }
    });
    options.setHeaders(headers);
    Future<HttpClientResponse> sent = client.request(options)
        .compose(out -> out.send(body));
    sent.compose(resp -> resp.body().map(b -> {
      forwarded.incrementAndGet();
      log.add(req.method() + " " + req.uri() + " -> " + resp.statusCode());
      var response = req.response().setStatusCode(resp.statusCode());
      resp.headers().forEach(h -> {
        if (!HOP_BY_HOP.contains(h.getKey().toLowerCase(Locale.ROOT))) {
          response.headers().add(h.getKey(), h.getValue());
        }
      });
      if (req.method() == HttpMethod.HEAD) {
        String length = resp.getHeader("Content-Length");
        if (length != null) {
          response.putHeader("Content-Length", length);
        }
        response.end();
      } else if (req.method() == HttpMethod.GET && b.length() > 1
          && cutNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
        cut.incrementAndGet();
        log.add(req.method() + " " + req.uri() + " -> cut at " + b.length() / 2);
        response.putHeader("Content-Length", String.valueOf(b.length()));
        response.write(b.slice(0, b.length() / 2)).onComplete(x -> req.connection().close());
      } else {
        response.end(b);
      }
      return null;
    })).onFailure(e -> {
      log.add(req.method() + " " + req.uri() + " -> 502 " + e);
      if (!req.response().ended()) {
        req.response().setStatusCode(502).end();
      }
    });
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the test is over; the event loop threads are daemons
    }
  }
}
