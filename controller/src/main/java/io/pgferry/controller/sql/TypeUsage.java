package io.pgferry.controller.sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The types the app's tables use that PostgreSQL does not ship (an extension's such as hstore, enums, composites,
 * ranges): their OIDs are assigned where they are created, so they differ on a target built by a logical copy.
 * Clients that cache type OIDs per process (psycopg2 and Django, Rails, pgjdbc) then misread them after cutover 2
 * until they reconnect and look them up again. Physical copies (A, B) keep every OID. Domains are left out: the
 * protocol describes a domain's column by its base type.
 */
public final class TypeUsage {
  public record UsedType(String schema, String name, long oid, String kind, String extension) {
    @Override
    public String toString() {
      return schema + "." + name + " (" + (extension.isEmpty() ? kind : "extension " + extension) + ", OID " + oid + ")";
    }
  }

  private static final String QUERY = "SELECT DISTINCT tn.nspname AS schema, t.typname AS name, t.oid::text AS oid,"
      + " CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'c' THEN 'composite' WHEN 'r' THEN 'range' WHEN 'm' THEN 'multirange'"
      + " ELSE 'base' END AS kind, coalesce(e.extname, '') AS extension"
      + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
      + " JOIN pg_type col ON col.oid = a.atttypid"
      + " JOIN pg_type t ON t.oid = CASE WHEN col.typcategory = 'A' AND col.typelem <> 0 THEN col.typelem ELSE col.oid END"
      + " JOIN pg_namespace tn ON tn.oid = t.typnamespace"
      + " LEFT JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'"
      + " LEFT JOIN pg_extension e ON e.oid = d.refobjid"
      + " WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND t.oid >= 16384 AND t.typtype <> 'd'"
      + " AND " + Sql.USER_SCHEMAS;

  private TypeUsage() {}

  /** The non-built-in types used by columns of user tables, by schema and name. */
  public static List<UsedType> read(Connection c) throws SQLException {
    return Sql.rows(c, QUERY + " ORDER BY 1, 2").stream()
        .map(r -> new UsedType(r.get("schema"), r.get("name"), Long.parseLong(r.get("oid")), r.get("kind"),
            r.get("extension")))
        .toList();
  }
}
