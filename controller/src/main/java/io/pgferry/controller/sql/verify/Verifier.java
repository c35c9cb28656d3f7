package io.pgferry.controller.sql.verify;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.controller.sql.logical.PublishedTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Compares A and T table by table ({@code pgferry verify}): exact row counts, and in FULL mode checksums per chunk
 * of the primary key. Chunk boundaries are every {@code chunkRows}-th key on A; each chunk's checksum is the md5 of
 * the md5s of its rows' text, sorted; a table without a primary key is one chunk. Each side is read in one
 * REPEATABLE READ READ ONLY transaction with the same output settings, so the answer is exact while writes are
 * blocked (during sync it shows rows still in flight). Changes nothing.
 */
public final class Verifier {
  private static final String[] SESSION = {"SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET IntervalStyle = 'postgres'",
      "SET extra_float_digits = 1", "SET bytea_output = 'hex'"};

  private final PgEndpoint source;
  private final PgEndpoint target;
  private final VerifyMode mode;
  private final int chunkRows;

  public Verifier(PgEndpoint source, PgEndpoint target, VerifyMode mode, int chunkRows) {
    if (chunkRows < 1) {
      throw new IllegalArgumentException("verify: chunk size must be at least 1 row");
    }
    this.source = source;
    this.target = target;
    this.mode = mode;
    this.chunkRows = chunkRows;
  }

  public List<String> describe() {
    List<String> out = new ArrayList<>(List.of("on A and T, each in one REPEATABLE READ READ ONLY transaction: " + String.join("; ", SESSION)));
    if (mode == VerifyMode.COUNTS) {
      out.add("per table on A and T: SELECT count(*) FROM <table>");
    } else {
      out.add("per table with a primary key, on A: SELECT <pk>::text FROM (SELECT <pk>, row_number() OVER (ORDER BY <pk>) AS rn FROM <table>) s "
          + "WHERE rn % " + chunkRows + " = 0 ORDER BY rn  -- chunk boundaries");
      out.add("per chunk on A and T: SELECT count(*), md5(string_agg(h, '' ORDER BY h COLLATE \"C\")) FROM (SELECT md5(r::text) AS h FROM <table> r "
          + "WHERE (<pk>) > (<lower>) AND (<pk>) <= (<upper>)) s");
      out.add("per table without a primary key: the same over the whole table");
    }
    return out;
  }

  public VerifyReport run() throws SQLException {
    List<TableVerification> results = new ArrayList<>();
    try (Connection a = open(source); Connection t = open(target)) {
      for (TableRef table : PublishedTables.list(a)) {
        results.add(verify(a, t, table));
      }
      a.commit();
      t.commit();
    }
    return new VerifyReport(mode, results);
  }

  private static Connection open(PgEndpoint endpoint) throws SQLException {
    Connection c = endpoint.connect(Purpose.VERIFY);
    c.setAutoCommit(false);
    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    c.setReadOnly(true);
    for (String s : SESSION) {
      Sql.execute(c, s);
    }
    return c;
  }

  TableVerification verify(Connection a, Connection t, TableRef table) throws SQLException {
    if (!PublishedTables.exists(t, table)) {
      return new TableVerification(table, mode, count(a, table), 0, 0, List.of(), "missing on T");
    }
    if (mode == VerifyMode.COUNTS) {
      return new TableVerification(table, mode, count(a, table), count(t, table), 0, List.of(), null);
    }
    List<Map<String, String>> key = Sql.rows(a, "SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_index i "
        + "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary "
        + "ORDER BY array_position(i.indkey::int2[], a.attnum)", table.sql());
    List<String> columns = key.stream().map(k -> k.get("attname")).toList();
    List<String> types = key.stream().map(k -> k.get("type")).toList();
    List<KeyRange> ranges = new ArrayList<>();
    if (columns.isEmpty()) {
      ranges.add(KeyRange.wholeTable());
    } else {
      List<List<String>> bounds = boundaries(a, table, columns);
      List<String> lower = null;
      for (List<String> upper : bounds) {
        ranges.add(new KeyRange(columns, lower, upper));
        lower = upper;
      }
      ranges.add(new KeyRange(columns, lower, null));
    }
    long sourceRows = 0;
    long targetRows = 0;
    List<TableVerification.Mismatch> mismatches = new ArrayList<>();
    for (KeyRange range : ranges) {
      String[] onA = chunk(a, table, range, types);
      String[] onT = chunk(t, table, range, types);
      sourceRows += Long.parseLong(onA[0]);
      targetRows += Long.parseLong(onT[0]);
      if (!onA[0].equals(onT[0]) || !onA[1].equals(onT[1])) {
        mismatches.add(new TableVerification.Mismatch(range, Long.parseLong(onA[0]), Long.parseLong(onT[0]), onA[1], onT[1]));
      }
    }
    return new TableVerification(table, mode, sourceRows, targetRows, ranges.size(), mismatches, null);
  }

  private static long count(Connection c, TableRef table) throws SQLException {
    return Long.parseLong(Sql.value(c, "SELECT count(*) FROM " + table.sql()));
  }

  private List<List<String>> boundaries(Connection a, TableRef table, List<String> columns) throws SQLException {
    String cols = columns.stream().map(Sql::ident).collect(Collectors.joining(", "));
    String texts = columns.stream().map(col -> Sql.ident(col) + "::text").collect(Collectors.joining(", "));
    String sql = "SELECT " + texts + " FROM (SELECT " + cols + ", row_number() OVER (ORDER BY " + cols + ") AS pgferry_rn FROM " + table.sql()
        + ") s WHERE pgferry_rn % " + chunkRows + " = 0 ORDER BY pgferry_rn";
    List<List<String>> out = new ArrayList<>();
    try (PreparedStatement ps = a.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= columns.size(); i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }

  /** {count, checksum} of one chunk. */
  private static String[] chunk(Connection c, TableRef table, KeyRange range, List<String> types) throws SQLException {
    List<String> where = new ArrayList<>();
    List<String> params = new ArrayList<>();
    if (!range.whole()) {
      String key = "(" + range.columns().stream().map(col -> "r." + Sql.ident(col)).collect(Collectors.joining(", ")) + ")";
      String bound = "(" + types.stream().map(type -> "?::" + type).collect(Collectors.joining(", ")) + ")";
      if (range.lower() != null) {
        where.add(key + " > " + bound);
        params.addAll(range.lower());
      }
      if (range.upper() != null) {
        where.add(key + " <= " + bound);
        params.addAll(range.upper());
      }
    }
    String sql = "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h COLLATE \"C\")), '') FROM (SELECT md5(r::text) AS h FROM "
        + table.sql() + " r" + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where)) + ") s";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.size(); i++) {
        ps.setString(i + 1, params.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new String[] {rs.getString(1), rs.getString(2)};
      }
    }
  }
}
