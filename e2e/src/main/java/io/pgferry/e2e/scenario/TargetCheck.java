package io.pgferry.e2e.scenario;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * After cutover 2: T against the last source-side primary (A, or B after a failover), read independently of the
 * controller (its own SQL, not pgferry's verifier). Tables the app no longer writes must be equal (count and an md5
 * of all rows); tables the app keeps writing on T must hold every row the old primary held (per ledger writer, the
 * rows up to its last seq there). Sequences: exact last_value/is_called, except those of tables the app writes on T,
 * which may only be ahead.
 */
final class TargetCheck {
  private TargetCheck() {}

  static List<JourneyResult.TableCheck> tables(Connection source, Connection target, Set<String> appTables) throws SQLException {
    List<JourneyResult.TableCheck> out = new ArrayList<>();
    for (String table : strings(source, "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
        + " WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'pgferry') ORDER BY 1")) {
      String bare = table.substring(table.indexOf('.') + 1);
      if (appTables.contains(bare)) {
        out.add(ledgerLike(source, target, table));
      } else {
        String sql = "SELECT count(*), md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM " + table + " x";
        String[] s = row(source, sql);
        String[] t;
        try {
          t = row(target, sql);
        } catch (SQLException e) {
          out.add(new JourneyResult.TableCheck(table, Long.parseLong(s[0]), -1, false, "missing on T: " + e.getMessage()));
          continue;
        }
        boolean equal = s[0].equals(t[0]) && s[1].equals(t[1]);
        out.add(new JourneyResult.TableCheck(table, Long.parseLong(s[0]), Long.parseLong(t[0]), equal,
            equal ? "count and md5 of all rows equal" : "md5 " + s[1] + " vs " + t[1]));
      }
    }
    return out;
  }

  /** A ledger table: T holds exactly the old primary's rows up to each writer's last seq there (plus newer ones). */
  private static JourneyResult.TableCheck ledgerLike(Connection source, Connection target, String table) throws SQLException {
    long onSource = 0;
    long onTarget = 0;
    try (Statement st = source.createStatement();
         ResultSet rs = st.executeQuery("SELECT writer_id, max(seq), count(*) FROM " + table + " GROUP BY 1 ORDER BY 1")) {
      while (rs.next()) {
        onSource += rs.getLong(3);
        onTarget += Long.parseLong(row(target, "SELECT count(*) FROM " + table + " WHERE writer_id = " + rs.getInt(1)
            + " AND seq <= " + rs.getLong(2))[0]);
      }
    }
    long total = Long.parseLong(row(target, "SELECT count(*) FROM " + table)[0]);
    return new JourneyResult.TableCheck(table, onSource, onTarget, onSource == onTarget,
        "the app writes it on T: rows up to each writer's last seq on the old primary (" + total + " on T now)");
  }

  static List<JourneyResult.SequenceCheck> sequences(Connection source, Connection target, Set<String> appTables) throws SQLException {
    Map<String, String> onSource = sequenceValues(source);
    Map<String, String> onTarget = sequenceValues(target);
    List<JourneyResult.SequenceCheck> out = new ArrayList<>();
    onSource.forEach((name, value) -> {
      String t = onTarget.getOrDefault(name, "missing");
      boolean appWrites = appTables.stream().anyMatch(a -> name.equals("public." + a + "_id_seq"));
      boolean ok = appWrites ? !"missing".equals(t) && lastValue(t) >= lastValue(value) : t.equals(value);
      out.add(new JourneyResult.SequenceCheck(name, value, t, ok,
          appWrites ? "the app draws from it on T: at least the old value" : "exact"));
    });
    return out;
  }

  /** "last_value is_called" of every sequence, read from the sequence relation itself. */
  private static Map<String, String> sequenceValues(Connection c) throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String seq : strings(c, "SELECT format('%I.%I', n.nspname, s.relname) FROM pg_class s JOIN pg_namespace n"
        + " ON n.oid = s.relnamespace WHERE s.relkind = 'S' AND n.nspname <> 'pgferry' ORDER BY 1")) {
      String[] v = row(c, "SELECT last_value, is_called FROM " + seq);
      out.put(seq, v[0] + ("t".equals(v[1]) || "true".equals(v[1]) ? " called" : " not called"));
    }
    return out;
  }

  private static long lastValue(String value) {
    return Long.parseLong(value.substring(0, value.indexOf(' ')));
  }

  private static List<String> strings(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private static String[] row(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      String[] v = new String[rs.getMetaData().getColumnCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = rs.getString(i + 1);
      }
      return v;
    }
  }
}
