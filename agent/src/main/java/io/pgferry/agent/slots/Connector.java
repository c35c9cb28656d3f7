package io.pgferry.agent.slots;

import io.pgferry.agent.cluster.PgPass;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opens a JDBC connection to one server, to a given database (logical slots live in one). The caller closes it. */
@FunctionalInterface
public interface Connector {
  Connection connect(String database) throws SQLException;

  /** host:port as user; the password, if any, from a libpq passfile (never from configuration text). */
  static Connector of(String host, int port, String user, Path passwordFile) {
    return database -> {
      Properties p = new Properties();
      p.setProperty("user", user);
      PgPass.lookup(passwordFile, host, port, database, user).ifPresent(pw -> p.setProperty("password", pw));
      p.setProperty("connectTimeout", "3");
      p.setProperty("ApplicationName", "pgferry-slots");
      String h = host.contains(":") ? "[" + host + "]" : host;
      return DriverManager.getConnection("jdbc:postgresql://" + h + ":" + port + "/" + database, p);
    };
  }
}
