package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.proto.HbaRule;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * The role a subscriber connects to the publisher as: LOGIN REPLICATION (on Aurora: rds_replication membership),
 * never SUPERUSER, SELECT on the published tables only. Its password is set with pgjdbc's client-side SCRAM
 * hashing, so the clear text never reaches the server's log; it is never logged by pgferry.
 */
public final class ReplicationRole implements SqlAction<ReplicationRole.Result> {
  public record Result(boolean created, boolean attributesFixed, List<TableRef> grantedTables) {}

  private final PgEndpoint publisher;
  private final String role;
  private final String password;

  /** @param password the secret (resolved with {@code io.pgferry.common.Secrets.resolve}); never logged */
  public ReplicationRole(PgEndpoint publisher, String role, String password) {
    this.publisher = publisher;
    this.role = role;
    this.password = password;
  }

  @Override
  public List<String> describe() {
    String r = Sql.ident(role);
    return List.of(
        "on " + publisher + ": CREATE ROLE " + r + " WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE  -- unless it exists; "
            + "an existing role gets ALTER ROLE " + r + " LOGIN REPLICATION NOSUPERUSER (Aurora: GRANT rds_replication TO " + r + " instead of REPLICATION)",
        "on " + publisher + ": ALTER ROLE " + r + " PASSWORD '***'  -- SCRAM-hashed by pgferry, from the plan's secret",
        "on " + publisher + ": GRANT USAGE ON SCHEMA <each published schema> TO " + r + "; GRANT SELECT ON <each published table> TO " + r);
  }

  @Override
  public Result run() throws Exception {
    try (Connection c = publisher.connect(Purpose.SCHEMA)) {
      boolean aurora = Sql.exists(c, "SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication'");
      List<Map<String, String>> existing = Sql.rows(c, "SELECT rolsuper, rolreplication, rolcanlogin FROM pg_roles WHERE rolname = ?", role);
      boolean created = existing.isEmpty();
      boolean fixed = false;
      String r = Sql.ident(role);
      if (created) {
        Sql.execute(c, "CREATE ROLE " + r + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" + (aurora ? "" : " REPLICATION"));
      } else {
        Map<String, String> attrs = existing.get(0);
        boolean replicationOk = aurora || "t".equals(attrs.get("rolreplication"));
        if ("t".equals(attrs.get("rolsuper")) || !replicationOk || !"t".equals(attrs.get("rolcanlogin"))) {
          Sql.execute(c, "ALTER ROLE " + r + " WITH LOGIN NOSUPERUSER" + (aurora ? "" : " REPLICATION"));
          fixed = true;
        }
      }
      if (aurora && !"t".equals(Sql.value(c, "SELECT pg_has_role(?, 'rds_replication', 'MEMBER')", role))) {
        Sql.execute(c, "GRANT rds_replication TO " + r);
      }
      if (password != null) {
        c.unwrap(PGConnection.class).alterUserPassword(role, password.toCharArray(), "scram-sha-256");
      }
      List<TableRef> tables = PublishedTables.list(c);
      for (String schema : tables.stream().map(TableRef::schema).distinct().toList()) {
        if (!"t".equals(Sql.value(c, "SELECT has_schema_privilege(?, ?, 'USAGE')", role, schema))) {
          Sql.execute(c, "GRANT USAGE ON SCHEMA " + Sql.ident(schema) + " TO " + r);
        }
      }
      List<TableRef> granted = new ArrayList<>();
      for (TableRef t : tables) {
        if (!"t".equals(Sql.value(c, "SELECT has_table_privilege(?, ?::regclass, 'SELECT')", role, t.sql()))) {
          Sql.execute(c, "GRANT SELECT ON " + t.sql() + " TO " + r);
          granted.add(t);
        }
      }
      return new Result(created, fixed, granted);
    }
  }

  /**
   * The pg_hba entry the publisher's agent must carry (Goal.hba_rules): this role, this database, from the
   * subscriber's address only. A logical walsender connects to a database, so the database is the dbname, not
   * the "replication" keyword.
   */
  public HbaRule hbaRule(String subscriberCidr, String method) {
    if (subscriberCidr == null || subscriberCidr.isBlank() || subscriberCidr.startsWith("0.0.0.0") || subscriberCidr.equals("::/0")) {
      throw new IllegalArgumentException("logical replication pg_hba: the subscriber's address must be one host (e.g. 10.0.0.7/32), got '"
          + subscriberCidr + "'");
    }
    String cidr = subscriberCidr.contains("/") ? subscriberCidr : subscriberCidr + (subscriberCidr.contains(":") ? "/128" : "/32");
    return HbaRule.newBuilder().setType("hostssl").setDatabase(publisher.database()).setUser(role).setAddress(cidr)
        .setMethod(method == null ? "scram-sha-256" : method).build();
  }

  public String role() {
    return role;
  }
}
