package io.pgferry.agent.slots;

import io.pgferry.agent.access.LocalAccess;
import io.pgferry.agent.cluster.PgPass;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/** Opens a JDBC connection to one server, to a given database (logical slots live in one). The caller closes it. */
@FunctionalInterface
public interface Connector {
  Connection connect(String database) throws SQLException;

  /** This node's own PostgreSQL over the local socket, as its bootstrap superuser (peer authentication). */
  static Connector local(LocalAccess access) {
    return database -> access.endpoint(database).connect(Purpose.SLOTS);
  }

  /** host:port as user; the password, if any, from a libpq passfile (never from configuration text). */
  static Connector of(String host, int port, String user, Path passwordFile) {
    return of(host, port, user, passwordFile, Map.of());
  }

  /** With libpq keywords {@code params} (sslmode, sslcert, ...). */
  static Connector of(String host, int port, String user, Path passwordFile, Map<String, String> params) {
    return database -> {
      String password = PgPass.lookup(passwordFile, host, port, database, user).orElse(null);
      return new PgEndpoint(host, port, database, user, password, params).connect(Purpose.SLOTS);
    };
  }
}
