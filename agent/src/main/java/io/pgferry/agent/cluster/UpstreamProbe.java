package io.pgferry.agent.cluster;

import io.pgferry.proto.Upstream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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

  public static Identity identify(Upstream upstream, Path passwordFile) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", upstream.getUser());
    PgPass.lookup(passwordFile, upstream.getHost(), upstream.getPort(), "replication", upstream.getUser())
        .ifPresent(pw -> p.setProperty("password", pw));
    p.setProperty("replication", "true");
    p.setProperty("assumeMinServerVersion", "9.4");
    p.setProperty("preferQueryMode", "simple");
    p.setProperty("connectTimeout", "5");
    p.setProperty("socketTimeout", "15");
    p.setProperty("ApplicationName", "pgferry-agent-probe");
    String url = "jdbc:postgresql://" + upstream.getHost() + ":" + upstream.getPort() + "/postgres";
    try (Connection c = DriverManager.getConnection(url, p); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
      rs.next();
      int versionNum = Integer.parseInt(c.unwrap(BaseConnection.class).getParameterStatus("server_version")
          .replaceAll("^(\\d+)(?:\\.(\\d+))?.*$", "$1"));
      return new Identity(Long.parseLong(rs.getString("systemid")), rs.getInt("timeline"), rs.getString("xlogpos"), versionNum * 10000);
    }
  }
}
