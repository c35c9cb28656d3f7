package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.roles.ControllerRoleSetup;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;

/**
 * The source's roles on T, so the schema copy keeps every owner, grant and default privilege: each role of A that
 * is no superuser, no replication role and not built in is created on T (NOLOGIN unless it logs in on A; no
 * password is copied: the app's login password comes from the plan), with A's memberships among them. T's admin
 * need not be a superuser (Aurora: rds_superuser; PostgreSQL 16+: CREATEROLE): it is made a member of each role it
 * must hand objects to (INHERIT and SET), which CREATEROLE allows for the roles it creates. Objects that A's
 * superusers own go to T's admin, since a managed target has no superuser to own them ({@link #ownerMap}).
 */
public final class TargetRoles implements SqlAction<TargetRoles.Result> {
  public record Result(List<String> created, List<String> memberships, List<String> adminMemberOf,
                       Map<String, String> ownerMap, String databaseOwner) {
    public String sentence() {
      return "roles on T: " + (created.isEmpty() ? "none created" : "created " + created) + "; memberships granted "
          + memberships + "; T's admin acts for " + adminMemberOf + "; owners mapped " + ownerMap
          + "; the database is owned by " + databaseOwner;
    }
  }

  /** The roles of A that T gets (a condition on pg_roles); not the controller's own role on A, A's business only. */
  static final String COPIED = "NOT rolsuper AND NOT rolreplication AND rolname !~ '^pg_'"
      + " AND rolname NOT IN ('rds_superuser', 'rdsadmin', 'rds_replication', '"
      + ControllerRoleSetup.ROLE + "')";
  private static final String ROLES_TO_COPY = "SELECT rolname, rolcanlogin, rolinherit FROM pg_roles WHERE " + COPIED
      + " AND rolname <> ? ORDER BY rolname";

  private final PgEndpoint source;
  private final PgEndpoint target;
  private final String replicationRole;
  private final String appUser;
  private final String appPassword;

  /**
   * @param appUser the app's login role: on T it gets {@code appPassword} (the resolved secret; never logged), when
   *     given
   */
  public TargetRoles(PgEndpoint source, PgEndpoint target, String replicationRole, String appUser, String appPassword) {
    this.source = source;
    this.target = target;
    this.replicationRole = replicationRole;
    this.appUser = appUser;
    this.appPassword = appPassword;
  }

  @Override
  public List<String> describe() {
    return List.of(
        "on " + source + ": read its roles (no superuser, no replication role, not pg_*, not " + ControllerRoleSetup.ROLE + ") and their memberships",
        "on " + target + ": CREATE ROLE <each> NOLOGIN|LOGIN [NO]INHERIT  -- unless it exists; no password copied"
            + (appUser == null ? "" : "; ALTER ROLE " + Sql.ident(appUser) + " PASSWORD '***' (the plan's app password,"
            + " SCRAM-hashed by pgferry)"),
        "on " + target + ": GRANT <role> TO <member> as on A; GRANT <role> TO " + target.user() + " WITH INHERIT TRUE,"
            + " SET TRUE  -- unless T's admin is a superuser: it hands objects to their owners",
        "on " + target + ": ALTER DATABASE " + Sql.ident(target.database()) + " OWNER TO <A's database owner>  -- when"
            + " that is one of the copied roles (Heroku: the app)",
        "objects A's superusers own are owned by " + target.user() + " on T");
  }

  @Override
  public Result run() throws Exception {
    try (Connection a = source.connect(Purpose.SCHEMA); Connection t = target.connect(Purpose.SCHEMA)) {
      List<Map<String, String>> roles = Sql.rows(a, ROLES_TO_COPY, replicationRole);
      Set<String> copied = roles.stream().map(r -> r.get("rolname")).collect(Collectors.toSet());
      String admin = Sql.value(t, "SELECT current_user");
      List<String> created = createRoles(t, roles);
      List<String> adminMemberOf = makeAdminMember(t, admin, copied);
      List<String> memberships = copyMemberships(a, t, copied);
      String dbOwner = giveDatabaseToItsSourceOwner(a, t, copied);
      return new Result(created, memberships, adminMemberOf, RoleMap.read(a, admin).renames(), dbOwner);
    }
  }

  private List<String> createRoles(Connection t, List<Map<String, String>> roles) throws SQLException {
    List<String> created = new ArrayList<>();
    for (Map<String, String> r : roles) {
      String name = r.get("rolname");
      if (!Sql.exists(t, "SELECT 1 FROM pg_roles WHERE rolname = ?", name)) {
        Sql.execute(t, "CREATE ROLE " + Sql.ident(name) + ("t".equals(r.get("rolcanlogin")) ? " LOGIN" : " NOLOGIN")
            + ("t".equals(r.get("rolinherit")) ? " INHERIT" : " NOINHERIT"));
        created.add(name);
      }
      if (name.equals(appUser) && appPassword != null) {
        t.unwrap(PGConnection.class).alterUserPassword(name, appPassword.toCharArray(), "scram-sha-256");
      }
    }
    return created;
  }

  /** T's admin acts for each copied role (INHERIT and SET), unless it is a superuser. */
  private List<String> makeAdminMember(Connection t, String admin, Set<String> copied) throws SQLException {
    List<String> granted = new ArrayList<>();
    if (Sql.exists(t, "SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper")) {
      return granted;
    }
    String options = Sql.serverMajor(t) >= 16 ? " WITH INHERIT TRUE, SET TRUE" : "";
    for (String role : copied.stream().sorted().toList()) {
      if (!"t".equals(Sql.value(t, "SELECT pg_has_role(current_user, ?, 'USAGE')", role))) {
        grant(t, role, admin, options);
        granted.add(role);
      }
    }
    return granted;
  }

  private List<String> copyMemberships(Connection a, Connection t, Set<String> copied) throws SQLException {
    List<String> granted = new ArrayList<>();
    for (Map<String, String> m : Sql.rows(a, "SELECT r.rolname AS role, m.rolname AS member FROM pg_auth_members am"
        + " JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member ORDER BY 1, 2")) {
      String role = m.get("role");
      String member = m.get("member");
      if (copied.contains(role) && copied.contains(member)
          && !"t".equals(Sql.value(t, "SELECT pg_has_role(?, ?, 'MEMBER')", member, role))) {
        grant(t, role, member, "");
        granted.add(member + " in " + role);
      }
    }
    return granted;
  }

  /** The app owns its database on Heroku: on T too, so it keeps CREATE on it and on the public schema. */
  private String giveDatabaseToItsSourceOwner(Connection a, Connection t, Set<String> copied) throws SQLException {
    String owner = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()";
    String onSource = Sql.value(a, owner);
    String onTarget = Sql.value(t, owner);
    if (copied.contains(onSource) && !onSource.equals(onTarget)) {
      Sql.execute(t, "ALTER DATABASE " + Sql.ident(target.database()) + " OWNER TO " + Sql.ident(onSource));
      return onSource;
    }
    return onTarget;
  }

  private void grant(Connection t, String role, String member, String options) throws SQLException {
    try {
      Sql.execute(t, "GRANT " + Sql.ident(role) + " TO " + Sql.ident(member) + options);
    } catch (SQLException e) {
      throw new SQLException("on " + target + ": GRANT " + role + " TO " + member + " refused (" + e.getMessage()
          + "); T's admin needs ADMIN OPTION on " + role + " (it has it for the roles it created): run the GRANT as a"
          + " superuser or rds_superuser, or drop " + role + " on T so pgferry creates it", e.getSQLState(), e);
    }
  }
}
