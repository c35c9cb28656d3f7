package io.pgferry.controller.sql.copy;

import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.TableRef;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What the snapshot copy copies, read on A inside a transaction that imported the exported snapshot: every table of
 * the publication (pg_publication_tables: partitions, not their root), largest first; a table larger than
 * {@code splitLargerThan} cut into pieces of about that size: on PostgreSQL 14+ ranges of pages by ctid (scanned as
 * TID ranges: sequential reads, no index; measured faster than key ranges on A, docs/copy.md; the last range is
 * open-ended, so pages added after the size was read are included, and a row version the snapshot sees is in
 * exactly one page), on older servers ranges of a single-column integer primary key (min and max under the
 * snapshot, the first and last range open-ended); without either the table is copied whole.
 */
final class CopyPlanner {
  static final String TABLES_SQL = """
      SELECT p.schemaname AS schema, p.tablename AS name, c.relkind::text AS kind,
             pg_table_size(c.oid) AS bytes, pg_relation_size(c.oid) / current_setting('block_size')::int AS pages,
             (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
              WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnkeyatts = 1
                AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)) AS int_key
      FROM pg_publication_tables p
      JOIN pg_namespace n ON n.nspname = p.schemaname
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
      WHERE p.pubname = ?""";

  private CopyPlanner() {}

  /** The items, pgferry's own tables first (its DDL log: the statements run on T before the rows that need them), then largest first. */
  static List<CopyItem> plan(Connection a, String publication, long splitLargerThan) throws SQLException {
    int major = Sql.serverMajor(a);
    List<CopyItem> out = new ArrayList<>();
    for (Map<String, String> r : Sql.rows(a, TABLES_SQL, publication)) {
      TableRef t = new TableRef(r.get("schema"), r.get("name"));
      long bytes = Long.parseLong(r.get("bytes"));
      boolean partitioned = "p".equals(r.get("kind"));
      int pieces = splitLargerThan > 0 && bytes > splitLargerThan && !partitioned
          ? (int) Math.min(10_000, Math.max(2, (bytes + splitLargerThan - 1) / splitLargerThan)) : 1;
      List<String> ranges = pieces == 1 ? List.of("") : ranges(a, major, t, r.get("int_key"), Long.parseLong(r.get("pages")), pieces);
      for (int i = 0; i < ranges.size(); i++) {
        String id = ranges.size() == 1 ? t.toString() : t + "#" + (i + 1) + "/" + ranges.size();
        out.add(new CopyItem(id, t, ranges.get(i), bytes / ranges.size(), partitioned));
      }
    }
    out.sort(Comparator.comparing((CopyItem i) -> !"pgferry".equals(i.table().schema())).thenComparing(CopyItem::estimatedBytes,
        Comparator.reverseOrder()).thenComparing(CopyItem::id));
    return out;
  }

  private static List<String> ranges(Connection a, int major, TableRef t, String intKey, long pages, int pieces) throws SQLException {
    if (major >= 14 && pages >= pieces) {
      return bounds(0, pages, pieces, (op, v) -> "ctid " + op + " '(" + v + ",0)'::tid");
    }
    if (intKey != null) {
      Map<String, String> mm = Sql.rows(a, "SELECT min(" + Sql.ident(intKey) + ")::text AS lo, max(" + Sql.ident(intKey) + ")::text AS hi FROM ONLY "
          + t.sql()).get(0);
      if (mm.get("lo") == null) {
        return List.of("");
      }
      return bounds(Long.parseLong(mm.get("lo")), Long.parseLong(mm.get("hi")) + 1, pieces, (op, v) -> Sql.ident(intKey) + " " + op + " " + v);
    }
    return List.of("");
  }

  /** {@code pieces} conditions covering [lo, hi) in equal steps, the first without a lower and the last without an upper bound. */
  static List<String> bounds(long lo, long hi, int pieces, BiFunction<String, Long, String> cmp) {
    long span = hi - lo;
    int n = (int) Math.max(1, Math.min(pieces, span));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long from = lo + span / n * i + Math.min(i, span % n);
      long to = lo + span / n * (i + 1) + Math.min(i + 1, span % n);
      String lower = i == 0 ? null : cmp.apply(">=", from);
      String upper = i == n - 1 ? null : cmp.apply("<", to);
      out.add(lower == null ? (upper == null ? "" : upper) : upper == null ? lower : lower + " AND " + upper);
    }
    return out;
  }
}
