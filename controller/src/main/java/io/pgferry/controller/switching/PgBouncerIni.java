package io.pgferry.controller.switching;

import io.pgferry.common.pg.SqlQuote;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one edit the PgBouncer switcher makes to pgbouncer.ini: the connection string of one alias in the
 * [databases] section. Every other line, comment and blank is kept byte for byte; on that line the key text and
 * any other parameters (pool_size, ...) are kept too.
 */
final class PgBouncerIni {
  private PgBouncerIni() {}

  /** The parameters of {@code alias} in [databases], if present. */
  static Optional<Map<String, String>> entry(String ini, String alias) {
    List<String> lines = ini.lines().toList();
    int i = find(lines, alias);
    return i < 0 ? Optional.empty() : Optional.of(parse(valueOf(lines.get(i))));
  }

  /**
   * {@code ini} with the [databases] line of {@code alias} carrying {@code changes} (a null value removes that
   * parameter). Throws IllegalArgumentException when the alias has no line.
   */
  static String withEntry(String ini, String alias, Map<String, String> changes) {
    String newline = ini.contains("\r\n") ? "\r\n" : "\n";
    List<String> lines = new ArrayList<>(ini.lines().toList());
    int i = find(lines, alias);
    if (i < 0) {
      throw new IllegalArgumentException("no line for database " + alias + " in the [databases] section");
    }
    String line = lines.get(i);
    int eq = line.indexOf('=');
    Map<String, String> params = parse(line.substring(eq + 1));
    changes.forEach((k, v) -> {
      if (v == null) {
        params.remove(k);
      } else {
        params.put(k, v);
      }
    });
    lines.set(i, line.substring(0, eq + 1) + " " + format(params));
    String joined = String.join(newline, lines);
    return ini.endsWith("\n") ? joined + newline : joined;
  }

  private static int find(List<String> lines, String alias) {
    boolean inDatabases = false;
    for (int i = 0; i < lines.size(); i++) {
      String t = lines.get(i).trim();
      if (t.startsWith("[")) {
        inDatabases = t.equalsIgnoreCase("[databases]");
        continue;
      }
      if (!inDatabases || t.isEmpty() || t.startsWith(";") || t.startsWith("#")) {
        continue;
      }
      int eq = t.indexOf('=');
      if (eq > 0 && unquote(t.substring(0, eq).trim()).equals(alias)) {
        return i;
      }
    }
    return -1;
  }

  private static String valueOf(String line) {
    return line.substring(line.indexOf('=') + 1);
  }

  private static String unquote(String key) {
    return key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"") ? key.substring(1, key.length() - 1) : key;
  }

  /** libpq-style {@code key=value key='quoted value'} (PgBouncer's format). */
  static Map<String, String> parse(String value) {
    Map<String, String> params = new LinkedHashMap<>();
    int i = 0;
    int n = value.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(value.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      int eq = value.indexOf('=', i);
      if (eq < 0) {
        throw new IllegalArgumentException("cannot parse database entry near: " + value.substring(i));
      }
      String key = value.substring(i, eq).trim();
      i = eq + 1;
      StringBuilder v = new StringBuilder();
      if (i < n && value.charAt(i) == '\'') {
        i++;
        while (i < n) {
          char c = value.charAt(i++);
          if (c == '\'') {
            if (i < n && value.charAt(i) == '\'') {
              v.append('\'');
              i++;
            } else {
              break;
            }
          } else {
            v.append(c);
          }
        }
      } else {
        while (i < n && !Character.isWhitespace(value.charAt(i))) {
          v.append(value.charAt(i++));
        }
      }
      params.put(key, v.toString());
    }
    return params;
  }

  static String format(Map<String, String> params) {
    StringBuilder sb = new StringBuilder();
    params.forEach((k, v) -> {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      boolean quote = v.isEmpty() || v.chars().anyMatch(c -> Character.isWhitespace(c) || c == '\'');
      sb.append(k).append('=').append(quote ? SqlQuote.literal(v) : v);
    });
    return sb.toString();
  }
}
