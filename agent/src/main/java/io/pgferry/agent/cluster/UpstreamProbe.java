package io.pgferry.agent.cluster;

import io.pgferry.agent.recovery.UpstreamTls;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.proto.Upstream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.core.BaseConnection;

/**
 * Asks an upstream who it is over a physical replication connection (IDENTIFY_SYSTEM), so only the replication
 * grant a standby needs anyway is used. Blocking.
 */
public final class UpstreamProbe {
  public record Identity(long systemIdentifier, int timeline, String xlogpos, int serverVersionNum) {
    public int major() {
      return serverVersionNum / 10000;
    }
  }

  private UpstreamProbe() {}

  /** {@code tls}: the CA file (sslmode verify-*) and the client certificate (Upstream.client_cert) towards the upstream. */
  public static Identity identify(Upstream upstream, Path passwordFile, UpstreamTls tls) throws SQLException {
    String password = PgPass.lookup(passwordFile, upstream.getHost(), upstream.getPort(), "replication", upstream.getUser()).orElse(null);
    PgEndpoint at = new PgEndpoint(upstream.getHost(), upstream.getPort(), "postgres", upstream.getUser(), password,
        tls.params(upstream));
    try (Connection c = at.connect(Purpose.UPSTREAM_PROBE); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
      rs.next();
      int versionNum = Integer.parseInt(c.unwrap(BaseConnection.class).getParameterStatus("server_version")
          .replaceAll("^(\\d+)(?:\\.(\\d+))?.*$", "$1"));
      return new Identity(Long.parseLong(rs.getString("systemid")), rs.getInt("timeline"), rs.getString("xlogpos"), versionNum * 10000);
    }
  }
}
