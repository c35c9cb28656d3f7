package io.pgferry.controller.sql;

import io.pgferry.common.Secrets;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where and as whom pgferry connects to one PostgreSQL database. The password is never part of
 * {@link #toString()}; conninfo strings that carry it are built only where a server must store it (a subscription).
 * {@code params} are libpq keywords from the URL's query (sslmode, sslrootcert, ...), passed to JDBC and libpq alike.
 * pgferry's own sessions start with default_transaction_read_only = off: they must work on a database the write
 * fence made read-only (the fence spares sessions named pgferry).
 */
public record PgEndpoint(String host, int port, String database, String user, String password, Map<String, String> params) {
  public static final String APPLICATION_NAME = "pgferry";
  private static final String SESSION_OPTIONS = "-c default_transaction_read_only=off";

  public PgEndpoint {
    params = params == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(params));
  }

  public PgEndpoint(String host, int port, String database, String user, String password) {
    this(host, port, database, user, password, Map.of());
  }

  /** postgres://user:password@host:port/dbname (user and password URL-encoded). */
  public static PgEndpoint fromUrl(String url) {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a postgres URL: " + Secrets.redact(url));
    }
    if (!("postgres".equals(uri.getScheme()) || "postgresql".equals(uri.getScheme())) || uri.getHost() == null) {
      throw new IllegalArgumentException("not a postgres URL: " + Secrets.redact(url));
    }
    String user = "postgres";
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
    return new PgEndpoint(host, port, database, newUser, newPassword, params);
  }

  public PgEndpoint withDatabase(String newDatabase) {
    return new PgEndpoint(host, port, newDatabase, user, password, params);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  public Connection connect() throws SQLException {
    Properties p = new Properties();
    params.forEach(p::setProperty);
    p.setProperty("options", SESSION_OPTIONS);
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("ApplicationName", APPLICATION_NAME);
    p.setProperty("connectTimeout", "10");
    return DriverManager.getConnection(jdbcUrl(), p);
  }

  /** libpq keyword/value conninfo; the password is included only when asked (it ends up stored on a server). */
  public String conninfo(boolean withPassword) {
    Map<String, String> kv = new LinkedHashMap<>();
    kv.put("host", host);
    kv.put("port", String.valueOf(port));
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
    env.put("PGCONNECT_TIMEOUT", "10");
    return env;
  }

  @Override
  public String toString() {
    return user + "@" + host + ":" + port + "/" + database;
  }
}
