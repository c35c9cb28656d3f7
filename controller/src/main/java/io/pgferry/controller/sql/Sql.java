package io.pgferry.controller.sql;

import io.pgferry.common.pg.SqlQuote;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small blocking JDBC helpers (call from worker threads) and SQL quoting. */
public final class Sql {
  /** Schemas that hold no user data (pgferry's own schema included: its DDL ledger, see sql.logical.DdlCapture). */
  public static final String USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgferry') AND n.nspname NOT LIKE 'pg\\_toast%' "
      + "AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

  private Sql() {}

  /** An identifier, always double-quoted. */
  public static String ident(String name) {
    return SqlQuote.ident(name);
  }

  /** A string literal (standard_conforming_strings = on, the default since 9.1). */
  public static String literal(String value) {
    return SqlQuote.literal(value);
  }

  public static List<Map<String, String>> rows(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        List<Map<String, String>> out = new ArrayList<>();
        while (rs.next()) {
          Map<String, String> row = new LinkedHashMap<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            row.put(md.getColumnLabel(i), rs.getString(i));
          }
          out.add(row);
        }
        return out;
      }
    }
  }

  /** First column of the first row as text, or null when there is no row. */
  public static String value(Connection c, String sql, Object... params) throws SQLException {
    List<Map<String, String>> rows = rows(c, sql, params);
    return rows.isEmpty() ? null : rows.get(0).values().iterator().next();
  }

  public static boolean exists(Connection c, String sql, Object... params) throws SQLException {
    return !rows(c, sql, params).isEmpty();
  }

  public static void execute(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** The server's major version (11, 15, 17, ...). */
  public static int serverMajor(Connection c) throws SQLException {
    return ServerReadings.versionNum(c) / 10000;
  }
}
