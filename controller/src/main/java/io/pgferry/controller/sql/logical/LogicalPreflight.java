package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.controller.sql.logical.Finding.Severity;
import io.pgferry.controller.sql.logical.PublishedTables.TableFacts;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything that would stop logical replication A -> T, reported at once. Reads catalogs only, in read-only
 * sessions: it changes nothing on either side.
 */
public final class LogicalPreflight {
  /**
   * @param replicaIdentityFull tables without a primary key the plan allows to replicate with REPLICA IDENTITY FULL
   * @param targetMustBeEmpty the published tables on T must hold no rows (the subscription copies them)
   * @param reverseReplication T will publish back to A after cutover 2 (T needs wal_level = logical)
   */
  public record Options(List<TableRef> replicaIdentityFull, boolean targetMustBeEmpty, boolean reverseReplication, LogicalNames names) {
    public Options {
      replicaIdentityFull = replicaIdentityFull == null ? List.of() : List.copyOf(replicaIdentityFull);
      names = names == null ? LogicalNames.DEFAULT : names;
    }

    public static Options defaults() {
      return new Options(List.of(), true, false, LogicalNames.DEFAULT);
    }
  }

  private final PgEndpoint source;
  private final PgEndpoint target;
  private final Options options;

  public LogicalPreflight(PgEndpoint source, PgEndpoint target, Options options) {
    this.source = source;
    this.target = target;
    this.options = options;
  }

  public List<String> describe() {
    return List.of("read catalogs on A (" + source + ") and T (" + target + ") in read-only sessions: replica identity of every table, "
        + "extensions, wal_level/max_replication_slots/max_wal_senders, privileges, rows already on T, large objects, unlogged tables, "
        + "materialized views, foreign tables, sequences; changes nothing");
  }

  public PreflightReport run() throws SQLException {
    List<Finding> out = new ArrayList<>();
    try (Connection a = source.connect(Purpose.PROBE); Connection t = target.connect(Purpose.PROBE)) {
      a.setReadOnly(true);
      t.setReadOnly(true);
      List<TableFacts> tables = PublishedTables.facts(a);
      replicaIdentity(tables, out);
      extensions(a, t, out);
      sourceSettings(a, t, out);
      sourcePrivileges(a, out);
      targetPrivileges(t, out);
      targetEmpty(t, tables, out);
      notCarried(a, tables, out);
      if (options.reverseReplication()) {
        reverse(t, out);
      }
    }
    return new PreflightReport(out);
  }

  private void replicaIdentity(List<TableFacts> tables, List<Finding> out) {
    Set<TableRef> allowed = new TreeSet<>(options.replicaIdentityFull());
    for (TableFacts f : tables) {
      if (f.persistence() != 'p' || f.usableIdentity()) {
        continue;
      }
      String why = f.replicaIdentity() == 'n' ? "REPLICA IDENTITY NOTHING" : f.replicaIdentity() == 'i' ? "its replica identity index is gone" : "no primary key";
      if (allowed.contains(f.table())) {
        out.add(new Finding(Severity.INFO, "replica_identity", f.table().toString(), why,
            "ALTER TABLE " + f.table().sql() + " REPLICA IDENTITY FULL on A at setup (plan: replica_identity_full)"));
      } else {
        out.add(new Finding(Severity.BLOCKER, "replica_identity", f.table().toString(), why + ": UPDATE and DELETE would fail on A once published",
            "add a primary key, or list it under replica_identity_full in the plan"));
      }
    }
    for (TableRef listed : allowed) {
      if (tables.stream().noneMatch(f -> f.table().equals(listed))) {
        out.add(new Finding(Severity.BLOCKER, "replica_identity", listed.toString(), "listed in replica_identity_full but no such table on A",
            "fix the table name in the plan"));
      }
    }
  }

  private void extensions(Connection a, Connection t, List<Finding> out) throws SQLException {
    Set<String> available = new TreeSet<>();
    for (Map<String, String> r : Sql.rows(t, "SELECT name FROM pg_available_extensions")) {
      available.add(r.get("name"));
    }
    for (Map<String, String> r : Sql.rows(a, "SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")) {
      String ext = r.get("extname");
      if (!available.contains(ext)) {
        out.add(new Finding(Severity.BLOCKER, "extension", ext, "used on A (version " + r.get("extversion") + ") but not available on T",
            "install it on T (Aurora: check the supported extensions list), or drop it on A"));
      }
    }
  }

  private void sourceSettings(Connection a, Connection t, List<Finding> out) throws SQLException {
    String walLevel = Sql.value(a, "SELECT current_setting('wal_level')");
    if (!"logical".equals(walLevel)) {
      out.add(new Finding(Severity.BLOCKER, "wal_level", "A", "wal_level is " + walLevel, "set wal_level = logical on A (restart)"));
    }
    int syncWorkers = Integer.parseInt(Sql.value(t, "SELECT current_setting('max_sync_workers_per_subscription')"));
    int needed = 1 + syncWorkers; // the subscription's slot plus one temporary slot per table-sync worker
    int maxSlots = Integer.parseInt(Sql.value(a, "SELECT current_setting('max_replication_slots')"));
    int usedSlots = Integer.parseInt(Sql.value(a, "SELECT count(*) FROM pg_replication_slots WHERE slot_name <> ?", options.names().slot()));
    if (maxSlots - usedSlots < needed) {
      out.add(new Finding(Severity.BLOCKER, "max_replication_slots", "A", maxSlots + " slots, " + usedSlots + " in use; logical sync needs "
          + needed + " more", "raise max_replication_slots on A to at least " + (usedSlots + needed) + " (restart)"));
    }
    int maxSenders = Integer.parseInt(Sql.value(a, "SELECT current_setting('max_wal_senders')"));
    int usedSenders = Integer.parseInt(Sql.value(a, "SELECT count(*) FROM pg_stat_replication WHERE application_name NOT LIKE ?",
        options.names().subscription() + "%"));
    if (maxSenders - usedSenders < needed) {
      out.add(new Finding(Severity.BLOCKER, "max_wal_senders", "A", maxSenders + " WAL senders, " + usedSenders + " in use; logical sync needs "
          + needed + " more", "raise max_wal_senders on A to at least " + (usedSenders + needed) + " (restart)"));
    }
  }

  private void sourcePrivileges(Connection a, List<Finding> out) throws SQLException {
    if (!"t".equals(Sql.value(a, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))) {
      out.add(new Finding(Severity.BLOCKER, "privileges", "A", "pgferry's user on A (" + source.user() + ") is not a superuser: it cannot create "
          + "the replication role and a FOR ALL TABLES publication", "connect to A as postgres (A is pgferry's own server)"));
    }
  }

  private void targetPrivileges(Connection t, List<Finding> out) throws SQLException {
    int major = Sql.serverMajor(t);
    boolean superuser = "t".equals(Sql.value(t, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
    boolean rdsSuperuser = "t".equals(Sql.value(t,
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_superuser') AND pg_has_role(current_user, 'rds_superuser', 'MEMBER')"));
    boolean createSubscription = major >= 16 && "t".equals(Sql.value(t,
        "SELECT pg_has_role(current_user, 'pg_create_subscription', 'MEMBER') AND has_database_privilege(current_database(), 'CREATE')"));
    boolean createRole = "t".equals(Sql.value(t, "SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user"));
    if (!(superuser || rdsSuperuser || createRole)) {
      out.add(new Finding(Severity.BLOCKER, "privileges", "T", "pgferry's user on T (" + target.user() + ") cannot create"
          + " the source's roles, so the app would not own its tables on T", "ALTER ROLE " + target.user() + " CREATEROLE"
          + " (Aurora: the master user has it)"));
    }
    if (!(superuser || rdsSuperuser || createSubscription)) {
      out.add(new Finding(Severity.BLOCKER, "privileges", "T", "pgferry's user on T (" + target.user() + ") cannot create a subscription",
          major >= 16 ? "use a superuser, the Aurora master user (rds_superuser), or GRANT pg_create_subscription and CREATE on the database"
              : "use a superuser or the Aurora master user (rds_superuser)"));
    }
  }

  private void targetEmpty(Connection t, List<TableFacts> tables, List<Finding> out) throws SQLException {
    if (!options.targetMustBeEmpty()) {
      return;
    }
    if (Sql.exists(t, "SELECT 1 FROM pg_subscription WHERE subname = ? AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        options.names().subscription())) {
      return; // setup already ran: the rows on T are the subscription's own copy
    }
    for (TableFacts f : tables) {
      if (f.persistence() == 'p' && PublishedTables.exists(t, f.table())
          && Sql.exists(t, "SELECT 1 FROM " + f.table().sql() + " LIMIT 1")) {
        out.add(new Finding(Severity.BLOCKER, "target_not_empty", f.table().toString(), "T already holds rows in this table; the initial copy "
            + "would add A's rows to them", "TRUNCATE it on T (or point pgferry at an empty database)"));
      }
    }
  }

  private void notCarried(Connection a, List<TableFacts> tables, List<Finding> out) throws SQLException {
    long largeObjects = Long.parseLong(Sql.value(a, "SELECT count(*) FROM pg_largeobject_metadata"));
    if (largeObjects > 0) {
      out.add(new Finding(Severity.BLOCKER, "large_objects", largeObjects + " large objects", "logical replication does not carry large objects",
          "pgferry will not copy them: move them into bytea columns first, or accept losing them by deleting them on A"));
    }
    for (TableFacts f : tables) {
      if (f.persistence() == 'u') {
        out.add(new Finding(Severity.WARNING, "unlogged_table", f.table().toString(), "unlogged tables cannot be published",
            "pgferry copies its definition with the schema; its rows are not moved (T's table starts empty)"));
      }
    }
    for (Map<String, String> r : Sql.rows(a, "SELECT n.nspname, c.relname, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE c.relkind IN ('m', 'f', 'S') AND " + Sql.USER_SCHEMAS + " ORDER BY 3, 1, 2")) {
      String name = new TableRef(r.get("nspname"), r.get("relname")).toString();
      switch (r.get("kind")) {
        case "m" -> out.add(new Finding(Severity.INFO, "materialized_view", name, "materialized views are not replicated",
            "definition copied with the schema; pgferry runs REFRESH MATERIALIZED VIEW on T at cutover 2"));
        case "f" -> out.add(new Finding(Severity.WARNING, "foreign_table", name, "foreign tables are not replicated",
            "definition copied with the schema; its server/user mapping must work from T"));
        default -> out.add(new Finding(Severity.INFO, "sequence", name, "sequence values are not replicated",
            "pgferry sets it on T to A's exact last_value/is_called at cutover 2"));
      }
    }
  }

  private void reverse(Connection t, List<Finding> out) throws SQLException {
    String walLevel = Sql.value(t, "SELECT current_setting('wal_level')");
    if (!"logical".equals(walLevel)) {
      out.add(new Finding(Severity.BLOCKER, "reverse_replication", "T", "wal_level on T is " + walLevel + "; T cannot publish back to A",
          "Aurora: rds.logical_replication = 1 in the cluster parameter group and reboot the writer; or turn reverse replication off"));
    }
  }
}
