package io.pgferry.controller.sql.roles;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The controller's least-privilege role on a writable A: LOGIN, no password (it logs in by certificate only), none of
 * SUPERUSER, REPLICATION, CREATEROLE, CREATEDB, BYPASSRLS; a member of the predefined roles named in {@code granted}
 * (pg_monitor: statistics and replication views, every setting), CONNECT on the databases it reads and SELECT on
 * pgferry's DDL ledger (what the replication progress reads besides the views). A role of that
 * name that exists with more (or with a password) is brought down to this; never made SUPERUSER. Run again it changes
 * nothing.
 */
public final class ControllerRoleSetup implements SqlAction<ControllerRoleSetup.Result> {
  /** The controller's own role on A and B (controller.pg.ControllerRole routes sessions to it). */
  public static final String ROLE = "pgferry_controller";

  /** What a run did: created or corrected, and what it granted (empty when all was in place). */
  public record Result(boolean created, boolean corrected, List<String> granted) {
    @Override
    public String toString() {
      return (created ? "created" : corrected ? "attributes corrected" : "exists") + "; granted: "
          + (granted.isEmpty() ? "nothing new" : String.join(", ", granted));
    }
  }

  /**
   * The attributes the role must have (CREATE ROLE and ALTER ROLE spell them alike); INHERIT: the granted roles'
   * rights apply without SET ROLE.
   */
  static final String ATTRIBUTES = "LOGIN NOSUPERUSER NOREPLICATION NOCREATEROLE NOCREATEDB NOBYPASSRLS INHERIT";

  private final PgEndpoint primary;
  private final String role;
  private final List<String> granted;
  private final List<String> databases;

  /**
   * @param primary the writable node, as its bootstrap superuser
   * @param granted predefined roles to grant (pg_monitor)
   * @param databases databases it may connect to (the app's and postgres, where probes land)
   */
  public ControllerRoleSetup(PgEndpoint primary, String role, List<String> granted, List<String> databases) {
    this.primary = primary;
    this.role = role;
    this.granted = List.copyOf(granted);
    this.databases = List.copyOf(new LinkedHashSet<>(databases));
  }

  @Override
  public List<String> describe() {
    String r = Sql.ident(role);
    List<String> out = new ArrayList<>();
    out.add("on " + primary + ": CREATE ROLE " + r + " " + ATTRIBUTES + "  -- unless it exists; an existing one"
        + " with more (SUPERUSER, REPLICATION, ...) or a password gets ALTER ROLE ... to these attributes and PASSWORD NULL");
    out.add("on " + primary + ": GRANT " + String.join(", ", granted) + " TO " + r + "; GRANT CONNECT ON DATABASE "
        + String.join(", ", databases.stream().map(Sql::ident).toList()) + " TO " + r + "  -- each unless held");
    out.add("on " + primary + ": GRANT USAGE ON SCHEMA pgferry, SELECT ON pgferry.ddl_log TO " + r
        + "  -- once the DDL ledger exists (logical_setup.ddl_capture grants it then)");
    return out;
  }

  @Override
  public Result run() throws Exception {
    String attrs = ATTRIBUTES;
    String r = Sql.ident(role);
    try (Connection c = primary.connect(Purpose.SCHEMA)) {
      List<Map<String, String>> existing = Sql.rows(c, "SELECT rolsuper, rolreplication, rolcreaterole, rolcreatedb, rolbypassrls,"
          + " rolinherit, rolcanlogin, rolpassword IS NOT NULL AS has_password FROM pg_authid WHERE rolname = ?", role);
      boolean created = existing.isEmpty();
      boolean corrected = false;
      if (created) {
        Sql.execute(c, "CREATE ROLE " + r + " " + attrs);
      } else {
        Map<String, String> a = existing.get(0);
        boolean more = List.of("rolsuper", "rolreplication", "rolcreaterole", "rolcreatedb", "rolbypassrls", "has_password")
            .stream().anyMatch(k -> "t".equals(a.get(k)));
        if (more || !"t".equals(a.get("rolcanlogin")) || !"t".equals(a.get("rolinherit"))) {
          Sql.execute(c, "ALTER ROLE " + r + " " + attrs + " PASSWORD NULL");
          corrected = true;
        }
      }
      List<String> did = new ArrayList<>();
      for (String g : granted) {
        if (!Sql.exists(c, "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u"
            + " ON u.oid = m.member WHERE g.rolname = ? AND u.rolname = ?", g, role)) {
          Sql.execute(c, "GRANT " + Sql.ident(g) + " TO " + r);
          did.add(g);
        }
      }
      for (String db : databases) {
        if (Sql.exists(c, "SELECT 1 FROM pg_database WHERE datname = ?", db)
            && !"t".equals(Sql.value(c, "SELECT has_database_privilege(?, ?, 'CONNECT')", role, db))) {
          Sql.execute(c, "GRANT CONNECT ON DATABASE " + Sql.ident(db) + " TO " + r);
          did.add("CONNECT on " + db);
        }
      }
      did.addAll(grantLedger(c, role));
      return new Result(created, corrected, did);
    }
  }

  /**
   * Lets {@code role} read pgferry's DDL ledger on A (pgferry.ddl_log, which the replication progress reads), when both
   * exist and it cannot yet; called here and where the ledger is created (DdlCapture), so either order works.
   * Returns what it granted.
   */
  public static List<String> grantLedger(Connection c, String role) throws SQLException {
    if (!Sql.exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", role)
        || !Sql.exists(c, "SELECT 1 WHERE to_regclass('pgferry.ddl_log') IS NOT NULL")
        || "t".equals(Sql.value(c, "SELECT has_table_privilege(?, 'pgferry.ddl_log', 'SELECT')"
            + " AND has_schema_privilege(?, 'pgferry', 'USAGE')", role, role))) {
      return List.of();
    }
    Sql.execute(c, "GRANT USAGE ON SCHEMA pgferry TO " + Sql.ident(role));
    Sql.execute(c, "GRANT SELECT ON pgferry.ddl_log TO " + Sql.ident(role));
    return List.of("SELECT on pgferry.ddl_log");
  }
}
