package io.pgferry.controller.sql.logical;

import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.TableRef;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The user tables of a database that logical replication carries: permanent, ordinary or partitioned, not owned by an extension. */
public final class PublishedTables {
  private PublishedTables() {}

  /** Catalog facts of one table that decide whether (and how) it can be replicated. */
  public record TableFacts(TableRef table, char replicaIdentity, boolean hasPrimaryKey, boolean hasIdentityIndex,
                           char persistence) {
    /** UPDATE/DELETE can be published: FULL, DEFAULT with a primary key, or USING INDEX with that index present. */
    public boolean usableIdentity() {
      return switch (replicaIdentity) {
        case 'f' -> true;
        case 'd' -> hasPrimaryKey;
        case 'i' -> hasIdentityIndex;
        default -> false;
      };
    }
  }

  static final String FACTS_SQL = """
      SELECT n.nspname AS schema, c.relname AS name, c.relreplident::text AS ident, c.relpersistence::text AS persistence,
             EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
             EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS has_ri_index
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND %s
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1, 2""".formatted(Sql.USER_SCHEMAS);

  /** Every user table (also unlogged ones, so callers can report them). */
  public static List<TableFacts> facts(Connection c) throws SQLException {
    List<TableFacts> out = new ArrayList<>();
    for (Map<String, String> r : Sql.rows(c, FACTS_SQL)) {
      out.add(new TableFacts(new TableRef(r.get("schema"), r.get("name")), r.get("ident").charAt(0), "t".equals(r.get("has_pk")),
          "t".equals(r.get("has_ri_index")), r.get("persistence").charAt(0)));
    }
    return out;
  }

  /** The permanent user tables, i.e. those a FOR ALL TABLES publication carries. */
  public static List<TableRef> list(Connection c) throws SQLException {
    return facts(c).stream().filter(f -> f.persistence() == 'p').map(TableFacts::table).toList();
  }

  public static boolean exists(Connection c, TableRef t) throws SQLException {
    return Sql.exists(c, "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ? "
        + "AND c.relkind IN ('r', 'p')", t.schema(), t.name());
  }
}
