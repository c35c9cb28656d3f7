package io.pgferry.controller.pg;

import io.pgferry.controller.plan.Plan;
import java.util.ArrayList;
import java.util.List;

/**
 * Which role each PostgreSQL connection of a plan logs in as, and why it needs what it has: what `pgferry plan`
 * prints so an operator sees where a superuser is used. A superuser is named only where PostgreSQL requires one.
 */
public final class ConnectionRoles {
  private ConnectionRoles() {}

  public static List<String> lines(Plan plan) {
    List<String> out = new ArrayList<>();
    out.add("source: the user of source.url (on Heroku the app's role): reads its WAL position, fences writes"
        + " (ALTER DATABASE ... default_transaction_read_only, pg_terminate_backend of its own sessions); no superuser");
    if (plan.nodes().certificates()) {
      out.add("A, B (hba_method cert): the controller's certificate (nodes.sslcert), mapped by each agent to its cluster's"
          + " bootstrap superuser: no role can be created on A before cutover 1, and no password of the source is known;"
          + " until " + ControllerRole.CREATED_BY_STEP + " every session uses it");
      controllerRole(out);
      out.add("B -> A: B's agent certificate (CN agent-" + plan.nodes().standby() + "), mapped to A's bootstrap superuser"
          + (plan.nodes().replicationUser().isEmpty() ? "" : " as '" + plan.nodes().replicationUser() + "'"));
    } else {
      passwordNodeRoles(plan, out);
    }
    out.add("T -> A/B: logical.replication_role '" + plan.logical().replicationRole() + "' (REPLICATION, SELECT on the"
        + " published tables; created by pgferry)");
    out.add("T: the user of target.url: creates the schema and the subscription (superuser before PostgreSQL 16,"
        + " pg_create_subscription from 16; rds_superuser on RDS/Aurora)");
    out.add("agents: their own PostgreSQL over the local socket, peer authentication as its bootstrap superuser (the"
        + " cluster's owner: start, promote, slots; no password)");
    return out;
  }

  /**
   * The controller's role after cutover 1 and, per purpose, which sessions use it and which keep the superuser: from
   * {@link ControllerRole#uses()}, the table the connections are routed by.
   */
  private static void controllerRole(List<String> out) {
    out.add("A, B from " + ControllerRole.CREATED_BY_STEP + " on (created on A after cutover 1; B replays it): the same"
        + " certificate also mapped to '" + ControllerRole.NAME + "' (LOGIN NOSUPERUSER, no password, member of "
        + String.join(", ", ControllerRole.GRANTED) + "), per purpose:");
    ControllerRole.uses().forEach((purpose, use) -> out.add("  " + purpose.key() + ": "
        + (use.dedicated() ? ControllerRole.NAME : "bootstrap superuser") + " (" + use.why() + ")"));
  }

  private static void passwordNodeRoles(Plan plan, List<String> out) {
    out.add("A, B: failover.admin_user '" + plan.failover().adminUser() + "': reads replication slots and WAL positions"
        + " (pg_monitor would do), manages the logical slot kept on B (REPLICATION), clears synchronized_standby_slots on"
        + " PostgreSQL 17 (ALTER SYSTEM: superuser, or GRANT ALTER SYSTEM ON PARAMETER from 15)");
    out.add("A (B after a failover): logical.admin_user '" + plan.logical().adminUser() + "': creates the replication role"
        + " and CREATE PUBLICATION FOR ALL TABLES (superuser before PostgreSQL 15), dumps the schema (superuser or"
        + " pg_read_all_data), fences the app (pg_signal_backend)");
    out.add("B -> A: replication user '" + (plan.nodes().replicationUser().isEmpty() ? "the agent's postgres.replication_user"
        : plan.nodes().replicationUser()) + "' (REPLICATION attribute only)");
  }
}
