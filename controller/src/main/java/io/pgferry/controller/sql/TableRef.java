package io.pgferry.controller.sql;

/** A table (or sequence) by schema and name, as the catalog spells them. */
public record TableRef(String schema, String name) implements Comparable<TableRef> {
  /** "schema.table" or "table" (public); quoting with double quotes is accepted for names with dots. */
  public static TableRef parse(String text) {
    String t = text.trim();
    if (t.startsWith("\"")) {
      int close = t.indexOf('"', 1);
      if (close > 0 && close + 1 < t.length() && t.charAt(close + 1) == '.') {
        return new TableRef(t.substring(1, close), unquote(t.substring(close + 2)));
      }
      return new TableRef("public", unquote(t));
    }
    int dot = t.indexOf('.');
    return dot < 0 ? new TableRef("public", unquote(t)) : new TableRef(t.substring(0, dot), unquote(t.substring(dot + 1)));
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1).replace("\"\"", "\"") : s;
  }

  /** Quoted for SQL: "schema"."name". */
  public String sql() {
    return Sql.ident(schema) + "." + Sql.ident(name);
  }

  @Override
  public int compareTo(TableRef o) {
    int c = schema.compareTo(o.schema);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return schema + "." + name;
  }
}
