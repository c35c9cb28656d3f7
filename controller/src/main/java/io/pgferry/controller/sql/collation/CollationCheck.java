package io.pgferry.controller.sql.collation;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.common.pg.SqlQuote;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collation safety of a restored copy: the data was sorted by the source host's C library, the copy runs on another
 * one, and a text index whose order no longer matches gives wrong answers and lets duplicate keys in once written.
 * Reads the collation versions (pg_database.datcollversion from PostgreSQL 15, pg_collation.collversion) against
 * the actual ones, and runs amcheck's bt_index_check (it works on a hot standby: AccessShareLock, no writes) on every
 * valid btree index with a key column under a collation that is not C/POSIX. Read-only: safe to run again.
 */
public final class CollationCheck implements SqlAction<CollationReport> {
  /** btree indexes of user schemas with at least one key column under a non-C collation (0: not collatable). */
  static final String AT_RISK = """
      SELECT i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS tab, pg_relation_size(i.indexrelid) AS bytes
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
        JOIN pg_namespace n ON n.oid = ic.relnamespace
       WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
         AND EXISTS (SELECT 1 FROM unnest(i.indcollation::oid[]) AS k(coll) JOIN pg_collation co ON co.oid = k.coll
                      WHERE k.coll <> 0 AND NOT (co.collname IN ('C', 'POSIX', 'ucs_basic')
                        OR (co.collprovider = 'c' AND co.collcollate IN ('C', 'POSIX'))
                        OR (co.collprovider = 'd' AND (SELECT datcollate FROM pg_database WHERE datname = current_database())
                            IN ('C', 'POSIX'))))
       ORDER BY 1""";
  /** The collations those indexes use, with their recorded and actual versions (null: the provider keeps none). */
  static final String COLLATIONS = """
      SELECT DISTINCT co.collname AS name, co.collversion AS recorded, pg_collation_actual_version(co.oid) AS actual
        FROM pg_index i JOIN pg_namespace n ON n.oid = (SELECT relnamespace FROM pg_class WHERE oid = i.indexrelid)
        CROSS JOIN LATERAL unnest(i.indcollation::oid[]) AS k(coll) JOIN pg_collation co ON co.oid = k.coll
       WHERE k.coll <> 0 AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       ORDER BY 1""";
  static final String DATABASE_VERSION = "SELECT datname AS name, datcollate, datcollversion AS recorded,"
      + " pg_database_collation_actual_version(oid) AS actual FROM pg_database WHERE datname = current_database()";
  static final String AMCHECK = "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
      + " WHERE e.extname = 'amcheck'";
  /** amcheck's "index is corrupt" (ERRCODE_INDEX_CORRUPTED). */
  static final String INDEX_CORRUPTED = "XX002";

  private final PgEndpoint endpoint;
  private final Clock clock;

  public CollationCheck(PgEndpoint endpoint, Clock clock) {
    this.endpoint = endpoint;
    this.clock = clock;
  }

  @Override
  public List<String> describe() {
    String on = endpoint.host() + ":" + endpoint.portShown() + "/" + endpoint.database();
    return List.of(
        "on " + on + " (read-only, works on a hot standby): " + DATABASE_VERSION + "  (PostgreSQL 15 and later)",
        "on " + on + ": recorded vs actual version of every collation an index uses (pg_collation.collversion,"
            + " pg_collation_actual_version)",
        "on " + on + ": if amcheck is installed: SELECT bt_index_check(<index>) for every valid btree index of the"
            + " user schemas over a collatable key column whose collation is not C/POSIX");
  }

  @Override
  public CollationReport run() throws SQLException {
    try (Connection c = endpoint.connect(Purpose.VERIFY)) {
      return check(c);
    }
  }

  /** On an open autocommit session: one failing index does not stop the others. */
  public CollationReport check(Connection c) throws SQLException {
    Instant started = clock.instant();
    List<String> versions = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    List<Map<String, String>> rows = new ArrayList<>();
    if (Sql.serverMajor(c) >= 15) {
      rows.addAll(Sql.rows(c, DATABASE_VERSION));
    }
    rows.addAll(Sql.rows(c, COLLATIONS));
    for (Map<String, String> r : rows) {
      String recorded = r.get("recorded");
      String actual = r.get("actual");
      if (recorded == null && actual == null) {
        continue;
      }
      String name = r.containsKey("datcollate") ? "database " + r.get("name") + " (" + r.get("datcollate") + ")" : r.get("name");
      versions.add(name + " recorded " + recorded + ", actual " + actual);
      if (recorded != null && !recorded.equals(actual)) {
        mismatched.add(name);
      }
    }
    List<Map<String, String>> indexes = Sql.rows(c, AT_RISK);
    List<String> atRisk = indexes.stream().map(r -> r.get("index")).toList();
    long bytes = indexes.stream().mapToLong(r -> Long.parseLong(r.get("bytes"))).sum();
    String schema = Sql.value(c, AMCHECK);
    List<CollationReport.Broken> broken = new ArrayList<>();
    List<String> unchecked = new ArrayList<>();
    if (schema != null) {
      String fn = SqlQuote.ident(schema) + ".bt_index_check";
      for (Map<String, String> r : indexes) {
        try {
          Sql.value(c, "SELECT " + fn + "(?::regclass)", r.get("index"));
        } catch (SQLException e) {
          if (INDEX_CORRUPTED.equals(e.getSQLState())) {
            broken.add(new CollationReport.Broken(r.get("index"), r.get("tab"), e.getMessage()));
          } else {
            unchecked.add(r.get("index") + " (" + e.getSQLState() + " " + e.getMessage() + ")");
          }
        }
      }
    }
    return new CollationReport(c.getCatalog(), versions, mismatched, schema != null, atRisk, broken, unchecked, bytes,
        Duration.between(started, clock.instant()));
  }
}
