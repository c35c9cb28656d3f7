package io.pgferry.common;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The mTLS settings of the agent-controller link: a CA that signs every party, and each party's certificate and
 * private key, as PEM files. The controller requires a client certificate signed by the CA; agents verify the
 * controller's certificate against the same CA.
 */
public record Tls(Path ca, Path cert, Path key) {

  public Tls {
    // a fixed order, so the first problem reported is always the same one
    for (var entry : List.of(Map.entry("ca", pathOrNull(ca)), Map.entry("cert", pathOrNull(cert)),
        Map.entry("key", pathOrNull(key)))) {
      if (entry.getValue() == MISSING) {
        throw new UsageException("tls." + entry.getKey() + " is missing (set it, or set insecure: true to run without TLS - tests only)");
      }
      if (!Files.isReadable(entry.getValue())) {
        throw new UsageException("tls." + entry.getKey() + ": cannot read " + entry.getValue()
            + " (create certificates with `pgferry certs init DIR`)");
      }
    }
  }

  private static final Path MISSING = Path.of("");

  private static Path pathOrNull(Path p) {
    return p == null ? MISSING : p;
  }

  public HttpServerOptions applyTo(HttpServerOptions options) {
    return options.setSsl(true).setUseAlpn(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()))
        .setClientAuth(ClientAuth.REQUIRED);
  }

  public HttpClientOptions applyTo(HttpClientOptions options) {
    return options.setSsl(true).setUseAlpn(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()))
        .setVerifyHost(true);
  }
}
