package io.pgferry.controller.switching;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PostgreSQL v3 protocol framing over a socket: the startup packet, typed messages out, (type, body) messages in,
 * and the parsing of the few message bodies a simple-query client needs. Blocking; no protocol state of its own.
 */
final class PgWire {
  private static final int PROTOCOL_3_0 = 196608;
  private static final int MAX_MESSAGE = 64 * 1024 * 1024;

  /** One backend message: its type byte and its body (without type and length). */
  record Message(char type, byte[] body) {
    int int32(int at) {
      return ((body[at] & 0xff) << 24) | ((body[at + 1] & 0xff) << 16) | ((body[at + 2] & 0xff) << 8) | (body[at + 3] & 0xff);
    }

    String text(int from) {
      return new String(body, from, body.length - from, StandardCharsets.UTF_8);
    }
  }

  /** An ErrorResponse's SQLSTATE and message. */
  record Error(String sqlState, String message) {}

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final String where;

  PgWire(Socket socket, String where) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    this.where = where;
  }

  void startup(String... parameters) throws IOException {
    byte[] body = cstrings(parameters);
    out.writeInt(4 + 4 + body.length + 1);
    out.writeInt(PROTOCOL_3_0);
    out.write(body);
    out.write(0);
    out.flush();
  }

  /** Sends one message of {@code type} whose body is the parts, in order. */
  void send(char type, byte[]... parts) throws IOException {
    int length = 4;
    for (byte[] p : parts) {
      length += p.length;
    }
    out.writeByte(type);
    out.writeInt(length);
    for (byte[] p : parts) {
      out.write(p);
    }
    out.flush();
  }

  Message read() throws IOException {
    char type = (char) in.readUnsignedByte();
    int len = in.readInt();
    if (len < 4 || len > MAX_MESSAGE) {
      throw new EOFException(where + ": bad message length " + len);
    }
    byte[] body = new byte[len - 4];
    in.readFully(body);
    return new Message(type, body);
  }

  void soTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  boolean isClosed() {
    return socket.isClosed();
  }

  /** Closes the socket from any thread; a read blocked in another thread fails at once. */
  void abort() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all we want
    }
  }

  static byte[] cstrings(String... values) {
    StringBuilder sb = new StringBuilder();
    for (String v : values) {
      sb.append(v).append('\0');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static byte[] int32(int value) {
    return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
  }

  /** RowDescription: the column names. */
  static List<String> columns(byte[] msg) {
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

  /** DataRow in text format: column name -> value (null for SQL NULL). */
  static Map<String, String> row(byte[] msg, List<String> columns) {
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

  static Error error(byte[] msg) {
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
    return new Error(sqlState, message);
  }
}
