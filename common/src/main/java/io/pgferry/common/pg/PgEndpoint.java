package io.pgferry.common.pg;

import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where and as whom pgferry connects to one PostgreSQL database. The password is never part of
 * {@link #toString()}; conninfo strings that carry it are built only where a server must store it (a subscription).
 * {@code params} are libpq keywords from the URL's query (sslmode, sslrootcert, ...), passed to JDBC and libpq alike.
 * pgferry's own sessions start with default_transaction_read_only = off: they must work on a database the write
 * fence made read-only (the fence spares sessions named pgferry-*). {@code limits}: the timeouts per purpose
 * (the plan's overrides of the defaults); sessions are opened only by {@link PgConnections}. {@code roles}: the
 * purposes that log in as another role (passwordless: a certificate login the server maps to either), see
 * {@link PurposeRoles}; {@link #user()} is the one for every other purpose.
 */
public record PgEndpoint(String host, int port, String database, String user, String password, Map<String, String> params,
                         ConnectionLimits limits, PurposeRoles roles) {
  public static final String APPLICATION_NAME = "pgferry";
  /** The port of an endpoint only shown (`pgferry plan` before the node's agent said where it listens): {@code <port>}. */
  public static final int UNKNOWN_PORT = 0;
  static final String SESSION_OPTIONS = "-c default_transaction_read_only=off";

  public PgEndpoint {
    params = params == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(params));
    limits = limits == null ? ConnectionLimits.DEFAULTS : limits;
    roles = roles == null ? PurposeRoles.NONE : roles;
  }

  public PgEndpoint(String host, int port, String database, String user, String password, Map<String, String> params,
                    ConnectionLimits limits) {
    this(host, port, database, user, password, params, limits, PurposeRoles.NONE);
  }

  public PgEndpoint(String host, int port, String database, String user, String password, Map<String, String> params) {
    this(host, port, database, user, password, params, ConnectionLimits.DEFAULTS);
  }

  public PgEndpoint(String host, int port, String database, String user, String password) {
    this(host, port, database, user, password, Map.of());
  }

  /**
   * A postgres:// URL or a libpq key=value string (host=... port=... dbname=... user=... password=...; other keywords
   * such as sslmode are kept as parameters).
   */
  public static PgEndpoint parse(String conn) {
    String c = conn.trim();
    if (c.startsWith("postgres://") || c.startsWith("postgresql://")) {
      return fromUrl(c);
    }
    String host = "localhost";
    int port = 5432;
    String db = "postgres";
    String user = "postgres";
    String password = null;
    Map<String, String> params = new LinkedHashMap<>();
    for (String kv : c.split("\\s+")) {
      String[] x = kv.split("=", 2);
      if (x.length != 2) {
        throw new UsageException("not a connection string (key=value ...): " + Secrets.redact(conn));
      }
      switch (x[0]) {
        case "host" -> host = x[1];
        case "port" -> port = Integer.parseInt(x[1]);
        case "dbname" -> db = x[1];
        case "user" -> user = x[1];
        case "password" -> password = x[1];
        default -> params.put(x[0], x[1]);
      }
    }
    return new PgEndpoint(host, port, db, user, password, params);
  }

  /** postgres://user:password@host:port/dbname (user and password URL-encoded); user postgres when the URL names none. */
  public static PgEndpoint fromUrl(String url) {
    return fromUrl(url, "postgres");
  }

  /** Like {@link #fromUrl(String)}, with {@code defaultUser} (may be null) when the URL names no user. */
  public static PgEndpoint fromUrl(String url, String defaultUser) {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a postgres URL: " + Secrets.redact(url));
    }
    if (!("postgres".equals(uri.getScheme()) || "postgresql".equals(uri.getScheme())) || uri.getHost() == null) {
      throw new IllegalArgumentException("not a postgres URL: " + Secrets.redact(url));
    }
    String user = defaultUser;
    String password = null;
    String info = uri.getRawUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      user = decode(colon < 0 ? info : info.substring(0, colon));
      password = colon < 0 ? null : decode(info.substring(colon + 1));
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String db = path.startsWith("/") ? decode(path.substring(1)) : "postgres";
    Map<String, String> params = new LinkedHashMap<>();
    if (uri.getRawQuery() != null) {
      for (String kv : uri.getRawQuery().split("&")) {
        String[] x = kv.split("=", 2);
        params.put(decode(x[0]), x.length > 1 ? decode(x[1]) : "");
      }
    }
    return new PgEndpoint(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), db.isEmpty() ? "postgres" : db, user, password, params);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  public PgEndpoint withUser(String newUser, String newPassword) {
    return new PgEndpoint(host, port, database, newUser, newPassword, params, limits, roles);
  }

  public PgEndpoint withDatabase(String newDatabase) {
    return new PgEndpoint(host, port, newDatabase, user, password, params, limits, roles);
  }

  /** The same database's copy elsewhere (a physical standby, a proxy). */
  public PgEndpoint withAddress(String newHost, int newPort) {
    return new PgEndpoint(newHost, newPort, database, user, password, params, limits, roles);
  }

  /** The same endpoint with {@code more} libpq keywords (sslmode, sslrootcert, ...) added or replacing its own. */
  public PgEndpoint withParams(Map<String, String> more) {
    if (more.isEmpty()) {
      return this;
    }
    Map<String, String> merged = new LinkedHashMap<>(params);
    merged.putAll(more);
    return new PgEndpoint(host, port, database, user, password, merged, limits, roles);
  }

  public PgEndpoint withLimits(ConnectionLimits newLimits) {
    return new PgEndpoint(host, port, database, user, password, params, newLimits, roles);
  }

  /** The same endpoint with sessions for {@code newRoles}' purposes logging in as its role. */
  public PgEndpoint withRoles(PurposeRoles newRoles) {
    return new PgEndpoint(host, port, database, user, password, params, limits, newRoles);
  }

  /** The role a session for {@code purpose} logs in as ({@link #roles()}, else {@link #user()}). */
  public String userFor(Purpose purpose) {
    return roles.userFor(purpose, user);
  }

  /** A new session for {@code purpose} (see {@link PgConnections}); the caller closes it. */
  public Connection connect(Purpose purpose) throws SQLException {
    return PgConnections.open(this, purpose);
  }

  /** libpq keyword/value conninfo; the password is included only when asked (it ends up stored on a server). */
  public String conninfo(boolean withPassword) {
    Map<String, String> kv = new LinkedHashMap<>();
    kv.put("host", host);
    kv.put("port", portShown());
    kv.put("dbname", database);
    kv.put("user", user);
    if (withPassword && password != null) {
      kv.put("password", password);
    }
    kv.putAll(params);
    StringBuilder sb = new StringBuilder();
    kv.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(conninfoValue(v)));
    return sb.toString();
  }

  /** A libpq conninfo value: quoted, with backslash and single quote escaped. */
  static String conninfoValue(String v) {
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** Environment for libpq client programs (pg_dump, psql): the password goes here, never on the command line. */
  public Map<String, String> libpqEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    if (password != null) {
      env.put("PGPASSWORD", password);
    }
    env.put("PGAPPNAME", APPLICATION_NAME);
    env.put("PGOPTIONS", SESSION_OPTIONS);
    env.put("PGCONNECT_TIMEOUT", Timeouts.seconds(Purpose.SCHEMA.defaults().connect()));
    return env;
  }

  @Override
  public String toString() {
    return user + "@" + host + ":" + portShown() + "/" + database;
  }

  /** The port, or {@code <port>} for {@link #UNKNOWN_PORT}. */
  public String portShown() {
    return port == UNKNOWN_PORT ? "<port>" : String.valueOf(port);
  }
}
