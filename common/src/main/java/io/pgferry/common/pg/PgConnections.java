package io.pgferry.common.pg;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Properties;

/**
 * The one place pgferry (controller and agent) opens a JDBC connection to PostgreSQL: an endpoint, a purpose, and
 * the purpose's bounds (connect and socket timeouts on the client, statement_timeout and lock_timeout on the server).
 * sslmode and the other libpq keywords come from the endpoint's parameters (its URL's query). The caller closes it.
 * A host that is an absolute path is, as in libpq, the directory of the server's Unix socket: pgjdbc reaches it
 * through junixsocket (no TLS on a local socket; the server authenticates the peer's OS user).
 */
public final class PgConnections {
  private PgConnections() {}

  public static Connection open(PgEndpoint endpoint, Purpose purpose) throws SQLException {
    return open(endpoint, purpose, endpoint.limits().of(purpose));
  }

  public static Connection open(PgEndpoint endpoint, Purpose purpose, Timeouts t) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(endpoint), properties(endpoint, purpose, t));
  }

  /** junixsocket's pgjdbc socket factory; its argument is the socket file's path. */
  static final String UNIX_SOCKET_FACTORY = "org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg";

  /** Whether {@code e} names a Unix socket directory rather than a network host (libpq's rule: an absolute path). */
  public static boolean isUnixSocket(PgEndpoint e) {
    return e.host().startsWith("/");
  }

  static String jdbcUrl(PgEndpoint e) {
    if (isUnixSocket(e)) {
      return "jdbc:postgresql://localhost:" + e.port() + "/" + e.database();
    }
    String host = e.host().contains(":") && !e.host().startsWith("[") ? "[" + e.host() + "]" : e.host();
    return "jdbc:postgresql://" + host + ":" + e.port() + "/" + e.database();
  }

  static Properties properties(PgEndpoint e, Purpose purpose, Timeouts t) {
    Properties p = new Properties();
    e.params().forEach(p::setProperty);
    if (isUnixSocket(e)) {
      p.setProperty("socketFactory", UNIX_SOCKET_FACTORY);
      p.setProperty("socketFactoryArg", Path.of(e.host(), ".s.PGSQL." + e.port()).toString());
      p.setProperty("sslmode", "disable"); // PostgreSQL offers no TLS on a Unix socket
    }
    String key = e.params().get("sslkey");
    if (key != null && !e.params().containsKey("pemKeyAlgorithm") && isEcKey(Path.of(key))) {
      p.setProperty("pemKeyAlgorithm", "EC"); // pgjdbc reads a PEM key as RSA unless told (pgferry's CA issues EC keys)
    }
    p.setProperty("user", e.userFor(purpose)); // the purpose decides the role (PurposeRoles)
    if (e.password() != null) {
      p.setProperty("password", e.password());
    }
    p.setProperty("ApplicationName", purpose.applicationName());
    p.setProperty("connectTimeout", Timeouts.seconds(t.connect()));
    p.setProperty("socketTimeout", Timeouts.seconds(t.socket()));
    if (t.socket().isZero()) {
      p.setProperty("tcpKeepAlive", "true"); // no socket bound: at least let the OS notice a peer that is gone
    }
    if (purpose == Purpose.UPSTREAM_PROBE) {
      p.setProperty("replication", "true");
      p.setProperty("assumeMinServerVersion", "9.4");
      p.setProperty("preferQueryMode", "simple");
    }
    p.setProperty("options", sessionOptions(t));
    return p;
  }

  /** The EC public-key algorithm OID (1.2.840.10045.2.1) as DER, as a PKCS#8 key names it. */
  private static final byte[] EC_OID = {0x06, 0x07, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};

  /** Whether {@code key} is a PEM PKCS#8 EC private key (false when unreadable: pgjdbc then reports the file itself). */
  static boolean isEcKey(Path key) {
    try {
      String pem = Files.readString(key, StandardCharsets.US_ASCII);
      int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
      int end = pem.indexOf("-----END PRIVATE KEY-----");
      if (begin < 0 || end < begin) {
        return false;
      }
      byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
      for (int i = 0; i + EC_OID.length <= Math.min(der.length, 64); i++) {
        if (Arrays.equals(der, i, i + EC_OID.length, EC_OID, 0, EC_OID.length)) {
          return true;
        }
      }
      return false;
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Startup options: the bounds, and default_transaction_read_only = off, because pgferry's own sessions must work on
   * a database its write fence made read-only (the fence spares sessions named pgferry-*).
   */
  static String sessionOptions(Timeouts t) {
    return PgEndpoint.SESSION_OPTIONS + " -c statement_timeout=" + t.statement().toMillis() + " -c lock_timeout=" + t.lock().toMillis();
  }

  /**
   * " (socket timeout: ...)" when {@code e} was caused by a session's socket timeout (pgjdbc reports only "An I/O error
   * occurred" or "The connection attempt failed"), else "": so a journal says why a step gave up.
   */
  public static String timeoutCause(Throwable e) {
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c instanceof SocketTimeoutException) {
        return " (socket timeout: no reply from the server within the session's socket_timeout; the link or the server is stuck)";
      }
    }
    return "";
  }
}
