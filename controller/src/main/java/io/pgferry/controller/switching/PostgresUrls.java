package io.pgferry.controller.switching;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** postgres:// URLs as apps read them from DATABASE_URL-style variables. */
final class PostgresUrls {
  private PostgresUrls() {}

  /** postgres://user:password@host:port/dbname (user and password URL-encoded; password omitted when null). */
  static String format(DatabaseEndpoint target, String password) {
    StringBuilder sb = new StringBuilder("postgres://");
    if (target.user() != null) {
      sb.append(enc(target.user()));
      if (password != null) {
        sb.append(':').append(enc(password));
      }
      sb.append('@');
    }
    return sb.append(target.host()).append(':').append(target.port()).append('/').append(enc(target.dbname())).toString();
  }

  /** The endpoint of a postgres:// or postgresql:// URL; its password is dropped. */
  static DatabaseEndpoint parse(String url) {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a postgres URL");
    }
    boolean scheme = "postgres".equals(uri.getScheme()) || "postgresql".equals(uri.getScheme());
    if (!scheme || uri.getHost() == null) {
      throw new IllegalArgumentException("not a postgres URL");
    }
    String userInfo = uri.getRawUserInfo();
    String user = null;
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      user = URLDecoder.decode(colon < 0 ? userInfo : userInfo.substring(0, colon), StandardCharsets.UTF_8);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String db = path.startsWith("/") ? path.substring(1) : path;
    return new DatabaseEndpoint(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), URLDecoder.decode(db, StandardCharsets.UTF_8),
        user, null);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
