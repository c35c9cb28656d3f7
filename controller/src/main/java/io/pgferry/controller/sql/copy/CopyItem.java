package io.pgferry.controller.sql.copy;

import io.pgferry.controller.sql.TableRef;

/**
 * One unit of the snapshot copy: a whole table, or one key (or ctid) range of a table larger than split_larger_than.
 *
 * @param id unique, e.g. {@code shop.orders} or {@code shop.orders#2/4}
 * @param where a condition on A's rows, empty for the whole table
 * @param estimatedBytes A's table size (toast included) times this item's share, for the percentage and the ETA
 * @param partitioned a partitioned table (published via its root): copied without ONLY
 */
public record CopyItem(String id, TableRef table, String where, long estimatedBytes, boolean partitioned) {
  public CopyItem {
    where = where == null ? "" : where;
  }

  /** The rows of this item on A, with the given column list ({@code ONLY}: an inheritance child's rows are its own item). */
  String selectSql(String columns) {
    return "SELECT " + columns + " FROM " + (partitioned ? "" : "ONLY ") + table.sql() + (where.isEmpty() ? "" : " WHERE " + where);
  }
}
