package io.pgferry.controller.sql.copy;

import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The snapshot copy's durable done-set, on T next to the rows: {@code pgferry.copy_items} lists every item with the
 * snapshot it is copied under; an item is marked done in the same transaction as its COPY, so after any crash an
 * item is either all on T and done, or not on T at all. (pgferry's schema on T, which the ledger checks and the
 * final schema comparison leave out.)
 */
final class CopyLedger {
  static final String TABLE = "pgferry.copy_items";
  static final List<String> SETUP = List.of("CREATE SCHEMA IF NOT EXISTS pgferry", """
      CREATE TABLE IF NOT EXISTS pgferry.copy_items (item text PRIMARY KEY, snapshot text NOT NULL, table_schema text NOT NULL,
        table_name text NOT NULL, range_sql text NOT NULL, estimated_bytes bigint NOT NULL, partitioned boolean NOT NULL,
        ord int NOT NULL, done boolean NOT NULL DEFAULT false, rows bigint, bytes bigint, copied_at timestamptz)""");

  /** T's foreign keys between plain tables, not inherited from a partitioned table's. */
  private static final String FOREIGN_KEYS = """
      SELECT n.nspname AS schema, r.relname AS name, co.conname, fn.nspname AS ref_schema, f.relname AS ref_name
        FROM pg_constraint co JOIN pg_class r ON r.oid = co.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        JOIN pg_class f ON f.oid = co.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
       WHERE co.contype = 'f' AND co.conparentid = 0 AND r.relkind = 'r' AND f.relkind = 'r'""";

  /** An item as the ledger has it. */
  record Entry(CopyItem item, String snapshot, boolean done, long rows, long bytes) {}

  private CopyLedger() {}

  static void ensure(Connection t) throws SQLException {
    for (String s : SETUP) {
      Sql.execute(t, s);
    }
  }

  static List<Entry> read(Connection t) throws SQLException {
    List<Entry> out = new ArrayList<>();
    for (Map<String, String> r : Sql.rows(t, "SELECT * FROM " + TABLE + " ORDER BY ord")) {
      CopyItem item = new CopyItem(r.get("item"), new TableRef(r.get("table_schema"), r.get("table_name")), r.get("range_sql"),
          Long.parseLong(r.get("estimated_bytes")), "t".equals(r.get("partitioned")));
      out.add(new Entry(item, r.get("snapshot"), "t".equals(r.get("done")), r.get("rows") == null ? 0 : Long.parseLong(r.get("rows")),
          r.get("bytes") == null ? 0 : Long.parseLong(r.get("bytes"))));
    }
    return out;
  }

  static void record(Connection t, String snapshot, List<CopyItem> items) throws SQLException {
    try (PreparedStatement ps = t.prepareStatement("INSERT INTO " + TABLE
        + " (item, snapshot, table_schema, table_name, range_sql, estimated_bytes, partitioned, ord) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      int ord = 0;
      for (CopyItem i : items) {
        ps.setString(1, i.id());
        ps.setString(2, snapshot);
        ps.setString(3, i.table().schema());
        ps.setString(4, i.table().name());
        ps.setString(5, i.where());
        ps.setLong(6, i.estimatedBytes());
        ps.setBoolean(7, i.partitioned());
        ps.setInt(8, ord++);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Marks an item done; the caller commits it with the item's rows. */
  static void done(Connection t, CopyItem item, long rows, long bytes) throws SQLException {
    try (PreparedStatement ps = t.prepareStatement("UPDATE " + TABLE + " SET done = true, rows = ?, bytes = ?, copied_at = now() "
        + "WHERE item = ? AND NOT done")) {
      ps.setLong(1, rows);
      ps.setLong(2, bytes);
      ps.setString(3, item.id());
      if (ps.executeUpdate() != 1) {
        throw new SQLException("copy item " + item.id() + " is not an unfinished item of " + TABLE + ": not copied twice");
      }
    }
  }

  /**
   * Empties on T every table the ledger names and forgets the items (a copy under a snapshot that is gone). The foreign
   * keys between those tables (added beside the copy by TableIndexBuild in the earlier run) are dropped first: the
   * rows copied afresh come in any order, and where T does not let the copy run as a replica (no superuser) a foreign
   * key would check them; the builds beside the new copy add them again, from A's definition.
   */
  static Set<TableRef> discard(Connection t, List<Entry> entries) throws SQLException {
    Map<TableRef, Boolean> tables = new LinkedHashMap<>();
    entries.forEach(e -> tables.put(e.item().table(), e.item().partitioned()));
    boolean auto = t.getAutoCommit();
    t.setAutoCommit(false);
    try {
      for (Map<String, String> fk : Sql.rows(t, FOREIGN_KEYS)) {
        if (tables.containsKey(new TableRef(fk.get("schema"), fk.get("name"))) && tables.containsKey(new TableRef(fk.get("ref_schema"),
            fk.get("ref_name")))) {
          Sql.execute(t, "ALTER TABLE ONLY " + new TableRef(fk.get("schema"), fk.get("name")).sql() + " DROP CONSTRAINT "
              + Sql.ident(fk.get("conname")));
        }
      }
      // one statement: a foreign key from a table not copied here to one copied would stop a TRUNCATE of the one alone
      List<String> present = new ArrayList<>();
      for (TableRef table : tables.keySet()) {
        if (Sql.exists(t, "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?",
            table.schema(), table.name())) {
          present.add((tables.get(table) ? "" : "ONLY ") + table.sql());
        }
      }
      if (!present.isEmpty()) {
        Sql.execute(t, "TRUNCATE " + String.join(", ", present));
      }
      Sql.execute(t, "DELETE FROM " + TABLE);
      t.commit();
    } catch (SQLException e) {
      t.rollback();
      throw e;
    } finally {
      t.setAutoCommit(auto);
    }
    return tables.keySet();
  }
}
