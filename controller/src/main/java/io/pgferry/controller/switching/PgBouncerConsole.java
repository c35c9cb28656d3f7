package io.pgferry.controller.switching;

import io.pgferry.common.pg.SqlQuote;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The PgBouncer admin console commands pgferry uses, per database: PAUSE, RESUME, RELOAD and the SHOW views read
 * back after them. Over a {@link ConsoleConnection} (simple protocol only, see there why not pgjdbc).
 */
final class PgBouncerConsole implements AutoCloseable {
  private final ConsoleConnection connection;

  private PgBouncerConsole(ConsoleConnection connection) {
    this.connection = connection;
  }

  static PgBouncerConsole connect(String host, int port, String user, String password, String applicationName, Duration timeout)
      throws IOException {
    return new PgBouncerConsole(ConsoleConnection.connect(host, port, "pgbouncer", user, password, applicationName, timeout));
  }

  /** PAUSE one database: returns once no server connection of it is in use (may take as long as the longest transaction). */
  void pause(String database) throws IOException {
    connection.query("PAUSE " + quoteIdent(database));
  }

  /** RESUME one database; false when it was not paused. */
  boolean resume(String database) throws IOException {
    try {
      connection.query("RESUME " + quoteIdent(database));
      return true;
    } catch (ConsoleConnection.ConsoleException e) {
      if (e.getMessage() == null || !e.getMessage().contains("not paused")) {
        throw e;
      }
      return false;
    }
  }

  void reload() throws IOException {
    connection.query("RELOAD");
  }

  /** The database's SHOW DATABASES row. */
  Map<String, String> database(String database) throws IOException {
    Optional<Map<String, String>> row = connection.query("SHOW DATABASES").stream().filter(r -> database.equals(r.get("name"))).findFirst();
    return row.orElseThrow(() -> new IOException("PgBouncer has no database " + database + " (SHOW DATABASES)"));
  }

  boolean paused(String database) throws IOException {
    return "1".equals(database(database).get("paused"));
  }

  /** Is a client with this application_name (or, with {@code prefix}, one starting with it) connected (SHOW CLIENTS)? */
  boolean clientConnected(String applicationName, boolean prefix) throws IOException {
    return connection.query("SHOW CLIENTS").stream().map(c -> c.get("application_name"))
        .anyMatch(a -> prefix ? a != null && a.startsWith(applicationName) : Objects.equals(applicationName, a));
  }

  /** Server connections of the database in use by a client (SHOW POOLS sv_active). */
  long serversInUse(String database) throws IOException {
    return connection.query("SHOW POOLS").stream().filter(p -> database.equals(p.get("database")))
        .mapToLong(p -> parseLong(p.get("sv_active"))).sum();
  }

  /** Server connections of the database held by an open transaction (SHOW SERVERS state active). */
  long activeServers(String database) throws IOException {
    return connection.query("SHOW SERVERS").stream().filter(s -> database.equals(s.get("database")) && "active".equals(s.get("state")))
        .count();
  }

  /** Waits without a read timeout (PAUSE may take as long as the longest transaction). */
  void noReadTimeout() throws IOException {
    connection.noReadTimeout();
  }

  /** Closes the socket from any thread; a command blocked in another thread fails at once. */
  void abort() {
    connection.abort();
  }

  @Override
  public void close() {
    connection.close();
  }

  static String quoteIdent(String name) {
    return name.matches("[a-z_][a-z0-9_]*") ? name : SqlQuote.ident(name);
  }

  static long parseLong(String s) {
    try {
      return s == null ? 0 : Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
