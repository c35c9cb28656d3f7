package io.pgferry.controller.sql.verify;

import java.util.List;

/**
 * A chunk of a table by primary key: (lower, upper], either end open (null). Values are the key columns as text,
 * as A printed them.
 */
public record KeyRange(List<String> columns, List<String> lower, List<String> upper) {
  public static KeyRange wholeTable() {
    return new KeyRange(List.of(), null, null);
  }

  public boolean whole() {
    return columns.isEmpty();
  }

  @Override
  public String toString() {
    if (whole()) {
      return "whole table";
    }
    String key = columns.size() == 1 ? columns.get(0) : "(" + String.join(", ", columns) + ")";
    if (lower == null && upper == null) {
      return "all " + key;
    }
    if (lower == null) {
      return key + " <= " + tuple(upper);
    }
    if (upper == null) {
      return key + " > " + tuple(lower);
    }
    return key + " in (" + tuple(lower) + ", " + tuple(upper) + "]";
  }

  private static String tuple(List<String> values) {
    return values.size() == 1 ? values.get(0) : "(" + String.join(", ", values) + ")";
  }
}
