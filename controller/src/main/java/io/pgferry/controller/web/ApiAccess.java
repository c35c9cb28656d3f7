package io.pgferry.controller.web;

import io.pgferry.common.Tls;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * Who may use the control API. With {@code tls} (every real install) the API is HTTPS with the controller's
 * certificate and asks for a client certificate from the same CA: an operator's ({@link OperatorIdentity}) lets a
 * request in, and so does {@code Authorization: Bearer} with {@code token} (from http.token_file) when one is set.
 * Without tls ({@code insecure: true}, loopback only) the API is plain HTTP, open unless a token is set.
 */
public record ApiAccess(Tls tls, String token) {

  public static ApiAccess insecure() {
    return new ApiAccess(null, null);
  }

  public boolean https() {
    return tls != null;
  }

  /** Whether a request must carry a credential at all. */
  public boolean required() {
    return tls != null || token != null;
  }

  HttpServerOptions applyTo(HttpServerOptions options) {
    if (tls == null) {
      return options;
    }
    // REQUEST, not REQUIRED: a token holder (curl, a browser without a certificate) still gets a TLS session and a
    // JSON 401 instead of a handshake failure; a presented certificate must chain to the CA or the handshake fails
    return options.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert().toString()).setKeyPath(tls.key().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(tls.ca().toString()))
        .setClientAuth(ClientAuth.REQUEST);
  }

  /** What a refused request is told it needs. */
  String expected() {
    String cert = "a client certificate from pgferry's CA with CN operator-NAME (issued by `pgferry certs init DIR --operator NAME`;"
        + " the CLI takes it with --cert/--key or PGFERRY_CERT/PGFERRY_KEY)";
    String bearer = "an 'Authorization: Bearer' header with the token in the controller's http.token_file (the CLI takes"
        + " --token-file or PGFERRY_TOKEN_FILE)";
    if (tls != null && token != null) {
      return cert + ", or " + bearer;
    }
    return tls != null ? cert : bearer;
  }

  /** Never the token. */
  @Override
  public String toString() {
    return "ApiAccess[" + describe() + "]";
  }

  /** For the start-up log line. */
  String describe() {
    if (tls == null) {
      return token == null
          ? "plain HTTP WITHOUT authentication (insecure: true; loopback only)"
          : "plain HTTP (insecure: true; loopback only), bearer token from http.token_file required";
    }
    return "HTTPS; operator client certificates (CN operator-*) from pgferry's CA"
        + (token == null ? "" : " or the bearer token from http.token_file") + " required";
  }
}
