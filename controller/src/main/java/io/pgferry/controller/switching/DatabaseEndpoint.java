package io.pgferry.controller.switching;

import io.pgferry.common.pg.PgEndpoint;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * A database the app can point at. {@code passwordRef} is a secret reference (env:NAME or file:PATH), never a secret.
 * pgferry never connects to it as such (its own sessions are {@link PgEndpoint}s); switchers write and read it back.
 */
public record DatabaseEndpoint(String host, int port, String dbname, String user, String passwordRef) {
  /** The endpoint of a postgres:// or postgresql:// URL as apps read it from DATABASE_URL-style variables; its password is dropped. */
  public static DatabaseEndpoint fromUrl(String url) {
    PgEndpoint e = PgEndpoint.fromUrl(url, null);
    return new DatabaseEndpoint(e.host(), e.port(), e.database(), e.user(), null);
  }

  /** postgres://user:password@host:port/dbname (user and password URL-encoded; password omitted when null). */
  public String url(String password) {
    StringBuilder sb = new StringBuilder("postgres://");
    if (user != null) {
      sb.append(enc(user));
      if (password != null) {
        sb.append(':').append(enc(password));
      }
      sb.append('@');
    }
    return sb.append(host).append(':').append(port).append('/').append(enc(dbname)).toString();
  }

  /** postgres:// URL without password (safe to log). */
  public String redactedUrl() {
    return "postgres://" + user + "@" + host + ":" + port + "/" + dbname;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
