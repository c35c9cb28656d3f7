package io.pgferry.controller.pg;

import io.pgferry.common.pg.Purpose;
import io.pgferry.common.pg.PurposeRoles;
import io.pgferry.controller.sql.roles.ControllerRoleSetup;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The controller's own least-privilege role on A and B, and which of its sessions use it: the one table both the
 * connection routing ({@link Endpoints#admin(io.pgferry.controller.plan.Plan,
 * io.pgferry.controller.link.NodeDirectory.NodeView, String, boolean)}) and `pgferry plan` read. The role is created on A
 * once A is writable (logical_setup.controller_role, after cutover 1); B replays A's catalog, so it exists there too.
 * Before that, and on the source and T, nothing narrower than the bootstrap superuser exists on A and B.
 */
public final class ControllerRole {
  /** The journey step that creates the role (journey.JourneyTable.LS_CONTROLLER_ROLE): from it on, sessions use it. */
  public static final String CREATED_BY_STEP = "logical_setup.controller_role";
  /** The role's name (a plain identifier: pg_hba and pg_ident need no quoting). */
  public static final String NAME = ControllerRoleSetup.ROLE;
  /** What it is granted: membership in these predefined roles, nothing else (no SUPERUSER, REPLICATION, CREATEROLE, CREATEDB). */
  public static final List<String> GRANTED = List.of("pg_monitor");

  /** Whether a purpose logs in as {@link #NAME} once it exists, and why (what it reads, or why only a superuser may). */
  public record Use(boolean dedicated, String why) {}

  private static final Map<Purpose, Use> USES;

  static {
    Map<Purpose, Use> m = new EnumMap<>(Purpose.class);
    m.put(Purpose.PROBE, new Use(true, "is it up, LSNs, slot and WAL views, database size, the schema fingerprint,"
        + " logical preflight reads: catalogs and statistics views (pg_monitor)"));
    m.put(Purpose.ADMIN, new Use(false, "synchronous_standby_names and synchronized_standby_slots by ALTER SYSTEM"
        + " (superuser; a parameter grant from 15 only), physical slot creation (REPLICATION)"));
    m.put(Purpose.FENCE, new Use(false, "ALTER DATABASE/ROLE ... default_transaction_read_only (owner of every role"
        + " and the database) in the same session as ending the app's sessions"));
    m.put(Purpose.SCHEMA, new Use(false, "pg_dump of the whole schema, CREATE PUBLICATION FOR ALL TABLES (superuser"
        + " before 15), the replication role and its grants, DDL capture (event triggers: superuser)"));
    m.put(Purpose.COPY, new Use(false, "reads every table of the app in a snapshot (superuser, or pg_read_all_data"
        + " which 11..13 lack)"));
    m.put(Purpose.CATCH_UP, new Use(true, "replication progress: WAL positions, slot lag, table sizes, the"
        + " subscription's published tables, pgferry.ddl_log (SELECT granted), pg_logical_emit_message (open to every role)"));
    m.put(Purpose.VERIFY, new Use(false, "counts and hashes every row of every table, and the collation check reads"
        + " every index (superuser, or pg_read_all_data which 11..13 lack)"));
    m.put(Purpose.SEQUENCES, new Use(false, "reads every sequence of the app (superuser, or pg_read_all_data which"
        + " 11..13 lack)"));
    m.put(Purpose.CUTOVER, new Use(false, "drops and creates subscriptions (their owner or a superuser)"));
    USES = Collections.unmodifiableMap(m);
  }

  private ControllerRole() {}

  /** The controller's purposes towards A and B, in the order `pgferry plan` shows them. */
  public static Map<Purpose, Use> uses() {
    return USES;
  }

  /** The purposes that log in as {@link #NAME} once it exists. */
  public static Set<Purpose> dedicatedPurposes() {
    Set<Purpose> s = EnumSet.noneOf(Purpose.class);
    USES.forEach((p, u) -> {
      if (u.dedicated()) {
        s.add(p);
      }
    });
    return s;
  }

  /** The routing an admin endpoint carries once the role exists. */
  public static PurposeRoles routes() {
    return new PurposeRoles(NAME, dedicatedPurposes());
  }
}
