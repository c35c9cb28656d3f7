package io.pgferry.controller.link;

import io.pgferry.common.Tls;
import io.pgferry.proto.AgentLinkGrpcService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The controller's end of the agent link: the {@code AgentLink} gRPC service on its own HTTP/2 server. With TLS
 * (the default) the server requires a client certificate signed by the configured CA; each stream becomes an
 * {@link AgentSession} of the {@link LinkDirectory}. Plaintext only when the caller passes no TLS (config
 * {@code insecure: true}).
 */
public final class LinkServer {
  private static final Logger LOG = Logger.getLogger(LinkServer.class.getName());
  /** Agents send a Status every second; a link silent this long is dead. */
  private static final int READ_IDLE_SECONDS = 30;

  private final Vertx vertx;
  private final HttpServer server;

  private LinkServer(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  /** Starts listening; {@code tls} null means plaintext (insecure: true). Port 0 picks a free port. */
  public static Future<LinkServer> start(Vertx vertx, String host, int port, Tls tls, LinkDirectory directory) {
    HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port).setReadIdleTimeout(READ_IDLE_SECONDS);
    if (tls != null) {
      tls.applyTo(options);
    } else {
      LOG.warning("link: agent link runs in PLAINTEXT (insecure: true): anyone who can reach it can act as any node; tests only");
    }
    GrpcServer grpc = GrpcServer.server(vertx);
    grpc.callHandler(AgentLinkGrpcService.Connect, request -> {
      Optional<String> cn = Optional.empty();
      if (request.connection().isSsl()) {
        cn = AgentIdentity.commonName(peerChain(request.connection()));
      }
      new AgentSession(vertx, request, directory, cn).start();
    });
    HttpServer server = vertx.createHttpServer(options).requestHandler(grpc);
    return server.listen().map(s -> {
      LOG.info("link: listening for agents on " + host + ":" + s.actualPort() + (tls == null ? " (plaintext)" : " (mutual TLS)"));
      return new LinkServer(vertx, s);
    });
  }

  public int port() {
    return server.actualPort();
  }

  public Future<Void> close() {
    return server.close();
  }

  private static List<Certificate> peerChain(HttpConnection connection) {
    try {
      return connection.peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }
}
