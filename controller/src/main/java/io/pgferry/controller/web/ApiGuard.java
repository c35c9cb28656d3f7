package io.pgferry.controller.web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The one check in front of every route of the control API (installed first on the router, so a route added later
 * is covered without code of its own): the caller's credential (401 none or a wrong token, 403 a certificate that
 * is not an operator's), then for a request that changes something a browser's cross-site Origin (403) and a body
 * that is not {@code application/json} (415). {@code GET /health} and {@code GET /metrics} pass without a
 * credential; they also have their own listener. Refusals are JSON: {"error": "..."} saying what was expected.
 */
final class ApiGuard implements Handler<RoutingContext> {
  private static final Set<String> OPEN_PATHS = Set.of("/health", "/metrics");
  private static final Set<HttpMethod> READS = Set.of(HttpMethod.GET, HttpMethod.HEAD);

  private final ApiAccess access;
  private final byte[] token;

  ApiGuard(ApiAccess access) {
    this.access = access;
    this.token = access.token() == null ? null : access.token().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    boolean read = READS.contains(request.method());
    if (read && OPEN_PATHS.contains(rc.normalizedPath())) {
      rc.next();
      return;
    }
    String refusal = authenticate(rc);
    if (refusal != null) {
      return;
    }
    if (!read) {
      String origin = request.getHeader("Origin");
      if (origin != null && !origin.equalsIgnoreCase(ownOrigin(request))) {
        refuse(rc, 403, "cross-site request refused: Origin " + origin + " is not this controller's own ("
            + ownOrigin(request) + ")");
        return;
      }
      String type = request.getHeader("Content-Type");
      String media = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
      if (!media.equals("application/json")) {
        refuse(rc, 415, request.method() + " " + rc.normalizedPath() + " takes Content-Type: application/json"
            + (type == null ? " (none was given)" : ", not " + type));
        return;
      }
    }
    rc.next();
  }

  /** Null when the request may go on; otherwise the refusal was sent. */
  private String authenticate(RoutingContext rc) {
    if (!access.required()) {
      return null;
    }
    String bearer = bearer(rc.request());
    if (bearer != null && token != null && MessageDigest.isEqual(token, bearer.getBytes(StandardCharsets.UTF_8))) {
      return null;
    }
    Optional<X509Certificate> peer = peer(rc.request());
    if (peer.isPresent() && OperatorIdentity.of(peer.get()).isPresent()) {
      return null;
    }
    if (peer.isPresent()) {
      return refuse(rc, 403, "the client certificate " + peer.get().getSubjectX500Principal().getName()
          + " is not an operator's; the control API needs " + access.expected());
    }
    if (bearer != null) {
      return refuse(rc, 401, token == null
          ? "this controller takes no bearer token (no http.token_file); it needs " + access.expected()
          : "the bearer token is not the one in the controller's http.token_file; the control API needs " + access.expected());
    }
    return refuse(rc, 401, "authentication required: the control API needs " + access.expected());
  }

  private static String bearer(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7).strip();
  }

  private static Optional<X509Certificate> peer(HttpServerRequest request) {
    if (!request.isSSL()) {
      return Optional.empty();
    }
    try {
      List<Certificate> chain = request.connection().peerCertificates();
      return chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf) ? Optional.empty() : Optional.of(leaf);
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  private static String ownOrigin(HttpServerRequest request) {
    return (request.isSSL() ? "https://" : "http://") + request.getHeader("Host");
  }

  private String refuse(RoutingContext rc, int status, String message) {
    var response = rc.response().setStatusCode(status).putHeader("Content-Type", "application/json");
    if (status == 401) {
      response.putHeader("WWW-Authenticate", "Bearer realm=\"pgferry\"");
    }
    response.end(new JsonObject().put("error", message).encodePrettily() + "\n");
    return message;
  }
}
