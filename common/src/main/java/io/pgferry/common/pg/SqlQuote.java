package io.pgferry.common.pg;

/** SQL quoting, the one copy of it (controller and agent). */
public final class SqlQuote {
  private SqlQuote() {}

  /** An identifier, always double-quoted. */
  public static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /** A string literal (standard_conforming_strings = on, the default since 9.1); also a postgresql.conf value. */
  public static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
