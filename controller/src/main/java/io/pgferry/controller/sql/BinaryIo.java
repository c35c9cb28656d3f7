package io.pgferry.controller.sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Which column types cannot travel in binary (COPY ... FORMAT binary, a subscription's binary = true): a type without
 * send or receive functions (pg_type.typsend/typreceive 0, e.g. aclitem), or an array or domain over one. An array's
 * own send and receive are array_send/array_recv, which call its element's, and a domain's receive is domain_recv,
 * which calls its base type's; a domain's base may be another domain or an array, so both are followed to the end.
 */
public final class BinaryIo {
  private static final String QUERY = """
      WITH RECURSIVE part(coltype, oid) AS (
        SELECT DISTINCT a.atttypid, a.atttypid
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE a.attnum > 0 AND NOT a.attisdropped AND %s
        UNION
        SELECT p.coltype, CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END
        FROM part p JOIN pg_type t ON t.oid = p.oid
        WHERE t.typtype = 'd' OR (t.typcategory = 'A' AND t.typelem <> 0))
      SELECT DISTINCT format_type(p.coltype, NULL) AS type
      FROM part p JOIN pg_type t ON t.oid = p.oid
      WHERE t.typsend = 0 OR t.typreceive = 0
      ORDER BY 1""";

  private BinaryIo() {}

  /**
   * The types without binary I/O of the columns {@code where} selects, a condition over {@code pg_attribute a},
   * {@code pg_class c} (the table) and {@code pg_namespace n} (its schema); empty when every one has it.
   */
  public static List<String> typesWithout(Connection c, String where, Object... params) throws SQLException {
    return Sql.rows(c, QUERY.formatted(where), params).stream().map(r -> r.get("type")).toList();
  }

  /** The same for the user tables (and partitioned tables) of the database. */
  public static List<String> typesWithoutInUserTables(Connection c) throws SQLException {
    return typesWithout(c, "c.relkind IN ('r', 'p') AND " + Sql.USER_SCHEMAS);
  }
}
