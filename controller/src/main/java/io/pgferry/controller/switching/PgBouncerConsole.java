package io.pgferry.controller.switching;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client for PgBouncer's admin console speaking the PostgreSQL v3 simple query protocol over a plain socket.
 *
 * <p>Why not pgjdbc: the 1.18 console reports server_version "1.18.0/bouncer", so pgjdbc (42.7.5+) sends
 * {@code SET extra_float_digits = 2} right after login and the console refuses it ("SET failed", pgbouncer#1509,
 * fixed only in later PgBouncer releases). Owning the socket also lets the switcher drop a PAUSE that is still
 * waiting ({@link #abort()}) before it sends RESUME (pgbouncer#715).
 *
 * <p>Authentication: trust, cleartext, md5 and SCRAM-SHA-256 (no channel binding). Blocking; one query at a time
 * per console.
 */
final class PgBouncerConsole implements AutoCloseable {
  /** An error the console answered with, or a broken connection. */
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

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final String where;

  private PgBouncerConsole(Socket socket, String where) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    this.where = where;
  }

  static PgBouncerConsole connect(String host, int port, String user, String password, String applicationName, Duration timeout)
      throws IOException {
    Socket socket = new Socket();
    String where = "pgbouncer admin console " + host + ":" + port;
    try {
      socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      PgBouncerConsole console = new PgBouncerConsole(socket, where);
      console.login(user, password, applicationName);
      return console;
    } catch (ConsoleException e) {
      socket.close();
      throw new ConsoleException(e.sqlState(), where + ": login as " + user + " failed: " + e.getMessage());
    } catch (IOException e) {
      socket.close();
      throw new IOException(where + ": " + e.getMessage(), e);
    }
  }

  private void login(String user, String password, String applicationName) throws IOException {
    byte[] body = cstrings("user", user, "database", "pgbouncer", "application_name", applicationName);
    out.writeInt(4 + 4 + body.length + 1);
    out.writeInt(196608); // protocol 3.0
    out.write(body);
    out.write(0);
    out.flush();
    while (true) {
      int type = in.readUnsignedByte();
      byte[] msg = readBody();
      switch (type) {
        case 'R' -> authenticate(msg, user, password);
        case 'E' -> throw error(msg);
        case 'Z' -> {
          return;
        }
        default -> {
          // ParameterStatus, BackendKeyData, NoticeResponse: nothing we need
        }
      }
    }
  }

  private void authenticate(byte[] msg, String user, String password) throws IOException {
    int code = ((msg[0] & 0xff) << 24) | ((msg[1] & 0xff) << 16) | ((msg[2] & 0xff) << 8) | (msg[3] & 0xff);
    switch (code) {
      case 0 -> {
        // AuthenticationOk
      }
      case 3 -> sendPassword(requirePassword(password));
      case 5 -> {
        byte[] salt = {msg[4], msg[5], msg[6], msg[7]};
        String inner = md5Hex((requirePassword(password) + user).getBytes(StandardCharsets.UTF_8));
        byte[] outer = concat(inner.getBytes(StandardCharsets.US_ASCII), salt);
        sendPassword("md5" + md5Hex(outer));
      }
      case 10 -> scramStart(msg, requirePassword(password));
      case 11 -> scramContinue(new String(msg, 4, msg.length - 4, StandardCharsets.UTF_8));
      case 12 -> scramFinal(new String(msg, 4, msg.length - 4, StandardCharsets.UTF_8));
      default -> throw new ConsoleException("28000", where + ": authentication method " + code
          + " is not supported (use trust, password, md5 or scram-sha-256 for the admin user)");
    }
  }

  // SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL uses it: no channel binding, user name taken from the startup packet.
  private String scramPassword;
  private String scramClientFirstBare;
  private String scramAuthMessage;
  private byte[] scramSaltedPassword;

  private void scramStart(byte[] msg, String password) throws IOException {
    String mechanisms = new String(msg, 4, msg.length - 4, StandardCharsets.UTF_8);
    if (!java.util.Arrays.asList(mechanisms.split("\0")).contains("SCRAM-SHA-256")) {
      throw new ConsoleException("28000", where + ": server offers SASL " + mechanisms.replace('\0', ' ').trim() + ", not SCRAM-SHA-256");
    }
    byte[] nonce = new byte[18];
    new java.security.SecureRandom().nextBytes(nonce);
    scramPassword = password;
    scramClientFirstBare = "n=,r=" + java.util.Base64.getEncoder().encodeToString(nonce);
    byte[] first = ("n,," + scramClientFirstBare).getBytes(StandardCharsets.UTF_8);
    byte[] mech = cstrings("SCRAM-SHA-256");
    out.writeByte('p');
    out.writeInt(4 + mech.length + 4 + first.length);
    out.write(mech);
    out.writeInt(first.length);
    out.write(first);
    out.flush();
  }

  private void scramContinue(String serverFirst) throws IOException {
    Map<String, String> attrs = scramAttributes(serverFirst);
    String nonce = attrs.get("r");
    String clientNonce = scramClientFirstBare.substring(scramClientFirstBare.indexOf("r=") + 2);
    if (nonce == null || !nonce.startsWith(clientNonce) || attrs.get("s") == null || attrs.get("i") == null) {
      throw new ConsoleException("28000", where + ": bad SCRAM server-first message");
    }
    byte[] salt = java.util.Base64.getDecoder().decode(attrs.get("s"));
    int iterations = Integer.parseInt(attrs.get("i"));
    try {
      javax.crypto.SecretKeyFactory pbkdf2 = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
      scramSaltedPassword = pbkdf2.generateSecret(new javax.crypto.spec.PBEKeySpec(scramPassword.toCharArray(), salt, iterations, 256))
          .getEncoded();
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(where + ": SCRAM: " + e.getMessage(), e);
    }
    byte[] clientKey = hmac(scramSaltedPassword, "Client Key");
    byte[] storedKey = sha256(clientKey);
    String withoutProof = "c=biws,r=" + nonce;
    scramAuthMessage = scramClientFirstBare + "," + serverFirst + "," + withoutProof;
    byte[] signature = hmac(storedKey, scramAuthMessage);
    byte[] proof = new byte[clientKey.length];
    for (int i = 0; i < proof.length; i++) {
      proof[i] = (byte) (clientKey[i] ^ signature[i]);
    }
    byte[] finalMessage = (withoutProof + ",p=" + java.util.Base64.getEncoder().encodeToString(proof)).getBytes(StandardCharsets.UTF_8);
    out.writeByte('p');
    out.writeInt(4 + finalMessage.length);
    out.write(finalMessage);
    out.flush();
  }

  private void scramFinal(String serverFinal) throws IOException {
    String expected = java.util.Base64.getEncoder().encodeToString(hmac(hmac(scramSaltedPassword, "Server Key"), scramAuthMessage));
    if (!expected.equals(scramAttributes(serverFinal).get("v"))) {
      throw new ConsoleException("28000", where + ": SCRAM server signature does not match (not the server we think it is)");
    }
  }

  private static Map<String, String> scramAttributes(String message) {
    Map<String, String> attrs = new LinkedHashMap<>();
    for (String part : message.split(",")) {
      int eq = part.indexOf('=');
      if (eq == 1) {
        attrs.put(part.substring(0, 1), part.substring(2));
      }
    }
    return attrs;
  }

  private static byte[] hmac(byte[] key, String data) throws IOException {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("SCRAM: " + e.getMessage(), e);
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private String requirePassword(String password) throws ConsoleException {
    if (password == null) {
      throw new ConsoleException("28000", where + ": the admin console asks for a password and none is configured");
    }
    return password;
  }

  private void sendPassword(String password) throws IOException {
    byte[] p = cstrings(password);
    out.writeByte('p');
    out.writeInt(4 + p.length);
    out.write(p);
    out.flush();
  }

  /** Runs one command; returns its rows (column name -> text value) and throws on an ErrorResponse. */
  List<Map<String, String>> query(String sql) throws IOException {
    byte[] q = cstrings(sql);
    out.writeByte('Q');
    out.writeInt(4 + q.length);
    out.write(q);
    out.flush();
    List<String> columns = List.of();
    List<Map<String, String>> rows = new ArrayList<>();
    ConsoleException failure = null;
    while (true) {
      int type = in.readUnsignedByte();
      byte[] msg = readBody();
      switch (type) {
        case 'T' -> columns = rowDescription(msg);
        case 'D' -> rows.add(dataRow(msg, columns));
        case 'E' -> failure = error(msg);
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
    socket.setSoTimeout(0);
  }

  /** Closes the socket from any thread; a query blocked in another thread fails at once. */
  void abort() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all we want
    }
  }

  @Override
  public void close() {
    if (socket.isClosed()) {
      return;
    }
    try {
      out.writeByte('X');
      out.writeInt(4);
      out.flush();
    } catch (IOException ignored) {
      // the socket is going away anyway
    }
    abort();
  }

  private byte[] readBody() throws IOException {
    int len = in.readInt();
    if (len < 4 || len > 64 * 1024 * 1024) {
      throw new EOFException(where + ": bad message length " + len);
    }
    byte[] body = new byte[len - 4];
    in.readFully(body);
    return body;
  }

  private static List<String> rowDescription(byte[] msg) {
    int n = ((msg[0] & 0xff) << 8) | (msg[1] & 0xff);
    List<String> names = new ArrayList<>(n);
    int pos = 2;
    for (int i = 0; i < n; i++) {
      int end = pos;
      while (msg[end] != 0) {
        end++;
      }
      names.add(new String(msg, pos, end - pos, StandardCharsets.UTF_8));
      pos = end + 1 + 18; // table oid, attnum, type oid, typlen, typmod, format
    }
    return names;
  }

  private static Map<String, String> dataRow(byte[] msg, List<String> columns) {
    int n = ((msg[0] & 0xff) << 8) | (msg[1] & 0xff);
    Map<String, String> row = new LinkedHashMap<>();
    int pos = 2;
    for (int i = 0; i < n; i++) {
      int len = ((msg[pos] & 0xff) << 24) | ((msg[pos + 1] & 0xff) << 16) | ((msg[pos + 2] & 0xff) << 8) | (msg[pos + 3] & 0xff);
      pos += 4;
      String value = len < 0 ? null : new String(msg, pos, len, StandardCharsets.UTF_8);
      pos += Math.max(len, 0);
      row.put(i < columns.size() ? columns.get(i) : "col" + i, value);
    }
    return row;
  }

  private ConsoleException error(byte[] msg) {
    String sqlState = "";
    String message = "";
    int pos = 0;
    while (pos < msg.length && msg[pos] != 0) {
      byte field = msg[pos++];
      int end = pos;
      while (msg[end] != 0) {
        end++;
      }
      String value = new String(msg, pos, end - pos, StandardCharsets.UTF_8);
      if (field == 'C') {
        sqlState = value;
      } else if (field == 'M') {
        message = value;
      }
      pos = end + 1;
    }
    return new ConsoleException(sqlState, message);
  }

  private static byte[] cstrings(String... values) {
    StringBuilder sb = new StringBuilder();
    for (String v : values) {
      sb.append(v).append('\0');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static String md5Hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
