package io.pgferry.agent.recovery;

import io.pgferry.proto.Upstream;
import java.nio.file.Path;
import java.util.Map;

/**
 * How this node, as a client of its upstream, uses TLS: the CA file it verifies the upstream's certificate with
 * (sslmode verify-ca/verify-full) and the certificate and key it logs in with when the goal asks for certificate
 * authentication (Upstream.client_cert: the upstream's pg_hba cert rule maps the certificate's CN to its bootstrap
 * superuser, so no password exists anywhere). Any of the files may be null when not configured.
 */
public record UpstreamTls(Path rootCert, Path cert, Path key) {
  public static final UpstreamTls NONE = new UpstreamTls(null, null, null);

  /** libpq/JDBC keywords towards {@code u}: sslmode (+ sslrootcert), and sslcert/sslkey for client_cert. */
  public Map<String, String> params(Upstream u) {
    Map<String, String> p = ServerTls.clientParams(u.getSslmode(), rootCert);
    if (u.getClientCert()) {
      if (cert == null || key == null) {
        throw new IllegalStateException("the goal asks to log in to " + u.getHost() + ":" + u.getPort()
            + " with this agent's certificate, but agent.yaml names none (tls.cert/tls.key or postgres.tls)");
      }
      p.put("sslcert", cert.toString());
      p.put("sslkey", key.toString());
    }
    return p;
  }
}
