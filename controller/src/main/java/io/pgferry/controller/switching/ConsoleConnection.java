package io.pgferry.controller.switching;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A PostgreSQL-protocol session that speaks only the simple query protocol: login (trust, cleartext, md5 and
 * SCRAM-SHA-256 without channel binding) and one query at a time. What PgBouncer's admin console needs.
 *
 * <p>Why not pgjdbc: the 1.18 console reports server_version "1.18.0/bouncer", so pgjdbc (42.7.5+) sends
 * {@code SET extra_float_digits = 2} right after login and the console refuses it ("SET failed", pgbouncer#1509,
 * fixed only in later PgBouncer releases). Owning the socket also lets the switcher drop a PAUSE that is still
 * waiting ({@link #abort()}) before it sends RESUME (pgbouncer#715).
 */
final class ConsoleConnection implements AutoCloseable {
  /** An error the server answered with, or a failed login. */
  static final class ConsoleException extends IOException {
    private final String sqlState;

    ConsoleException(String sqlState, String message) {
      super(message);
      this.sqlState = sqlState;
    }

    String sqlState() {
      return sqlState;
    }
  }

  private final PgWire wire;
  private final String where;
  private ScramSha256Client scram;

  private ConsoleConnection(PgWire wire, String where) {
    this.wire = wire;
    this.where = where;
  }

  static ConsoleConnection connect(String host, int port, String database, String user, String password, String applicationName,
      Duration timeout) throws IOException {
    Socket socket = new Socket();
    String where = "pgbouncer admin console " + host + ":" + port;
    try {
      socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      ConsoleConnection connection = new ConsoleConnection(new PgWire(socket, where), where);
      connection.login(database, user, password, applicationName);
      return connection;
    } catch (ConsoleException e) {
      socket.close();
      throw new ConsoleException(e.sqlState(), where + ": login as " + user + " failed: " + e.getMessage());
    } catch (IOException e) {
      socket.close();
      throw new IOException(where + ": " + e.getMessage(), e);
    }
  }

  private void login(String database, String user, String password, String applicationName) throws IOException {
    wire.startup("user", user, "database", database, "application_name", applicationName);
    while (true) {
      PgWire.Message m = wire.read();
      switch (m.type()) {
        case 'R' -> authenticate(m, user, password);
        case 'E' -> throw error(m);
        case 'Z' -> {
          return;
        }
        default -> {
          // ParameterStatus, BackendKeyData, NoticeResponse: nothing we need
        }
      }
    }
  }

  private void authenticate(PgWire.Message m, String user, String password) throws IOException {
    int code = m.int32(0);
    switch (code) {
      case 0 -> {
        // AuthenticationOk
      }
      case 3 -> sendPassword(requirePassword(password));
      case 5 -> {
        byte[] salt = Arrays.copyOfRange(m.body(), 4, 8);
        String inner = md5Hex((requirePassword(password) + user).getBytes(StandardCharsets.UTF_8));
        byte[] innerBytes = inner.getBytes(StandardCharsets.US_ASCII);
        byte[] outer = Arrays.copyOf(innerBytes, innerBytes.length + salt.length);
        System.arraycopy(salt, 0, outer, innerBytes.length, salt.length);
        sendPassword("md5" + md5Hex(outer));
      }
      case 10 -> scramStart(m.text(4), requirePassword(password));
      case 11 -> scramContinue(m.text(4));
      case 12 -> scramFinal(m.text(4));
      default -> throw new ConsoleException("28000", where + ": authentication method " + code
          + " is not supported (use trust, password, md5 or scram-sha-256 for the admin user)");
    }
  }

  private void scramStart(String mechanisms, String password) throws IOException {
    if (!Arrays.asList(mechanisms.split("\0")).contains("SCRAM-SHA-256")) {
      throw new ConsoleException("28000", where + ": server offers SASL " + mechanisms.replace('\0', ' ').trim() + ", not SCRAM-SHA-256");
    }
    scram = ScramSha256Client.forPostgres(password);
    byte[] first = scram.clientFirst().getBytes(StandardCharsets.UTF_8);
    wire.send('p', PgWire.cstrings("SCRAM-SHA-256"), PgWire.int32(first.length), first);
  }

  private void scramContinue(String serverFirst) throws IOException {
    try {
      wire.send('p', requireScram().clientFinal(serverFirst).getBytes(StandardCharsets.UTF_8));
    } catch (ScramSha256Client.ProtocolException e) {
      throw new ConsoleException("28000", where + ": " + e.getMessage());
    }
  }

  private void scramFinal(String serverFinal) throws IOException {
    if (!requireScram().serverVerified(serverFinal)) {
      throw new ConsoleException("28000", where + ": SCRAM server signature does not match (not the server we think it is)");
    }
  }

  private ScramSha256Client requireScram() throws ConsoleException {
    if (scram == null) {
      throw new ConsoleException("28000", where + ": SCRAM message before the SASL start");
    }
    return scram;
  }

  private String requirePassword(String password) throws ConsoleException {
    if (password == null) {
      throw new ConsoleException("28000", where + ": the admin console asks for a password and none is configured");
    }
    return password;
  }

  private void sendPassword(String password) throws IOException {
    wire.send('p', PgWire.cstrings(password));
  }

  /** Runs one command; returns its rows (column name -> text value) and throws on an ErrorResponse. */
  List<Map<String, String>> query(String sql) throws IOException {
    wire.send('Q', PgWire.cstrings(sql));
    List<String> columns = List.of();
    List<Map<String, String>> rows = new ArrayList<>();
    ConsoleException failure = null;
    while (true) {
      PgWire.Message m = wire.read();
      switch (m.type()) {
        case 'T' -> columns = PgWire.columns(m.body());
        case 'D' -> rows.add(PgWire.row(m.body(), columns));
        case 'E' -> failure = error(m);
        case 'Z' -> {
          if (failure != null) {
            throw failure;
          }
          return rows;
        }
        default -> {
          // CommandComplete, NoticeResponse, EmptyQueryResponse
        }
      }
    }
  }

  /** Waits without a read timeout (PAUSE may take as long as the longest transaction). */
  void noReadTimeout() throws IOException {
    wire.soTimeout(0);
  }

  /** Closes the socket from any thread; a query blocked in another thread fails at once. */
  void abort() {
    wire.abort();
  }

  @Override
  public void close() {
    if (wire.isClosed()) {
      return;
    }
    try {
      wire.send('X');
    } catch (IOException ignored) {
      // the socket is going away anyway
    }
    abort();
  }

  private static ConsoleException error(PgWire.Message m) {
    PgWire.Error e = PgWire.error(m.body());
    return new ConsoleException(e.sqlState(), e.message());
  }

  private static String md5Hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
