package io.pgferry.controller.pg;

import io.pgferry.common.Secrets;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.SecretUrl;
import io.pgferry.controller.switching.DatabaseEndpoint;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The databases a plan names, as endpoints carrying the plan's connection bounds: the source and the target from
 * their URLs (secret references resolved when called), a node's PostgreSQL from its agent's Hello (the one place a
 * Hello becomes an address). Sessions are opened by {@link io.pgferry.common.pg.PgConnections} for a purpose.
 */
public final class Endpoints {
  private Endpoints() {}

  /** A postgres:// URL or key=value string given as a secret reference. */
  public static PgEndpoint of(Plan plan, String ref, String what) {
    return parse(ref, what).withLimits(plan.connectionLimits());
  }

  /**
   * Resolves {@code ref} and parses what it holds. An error names {@code what} and the reference, never the value: a
   * reference pointing at the wrong file (a TLS key) must not print that file.
   */
  public static PgEndpoint parse(String ref, String what) {
    return SecretUrl.parse(ref, what);
  }

  /** T from target.url, with the plan's TLS for it ({@link LinkTls#target}). */
  public static PgEndpoint target(Plan plan) {
    return LinkTls.apply(of(plan, plan.target().url(), "target.url"), LinkTls.target(plan));
  }

  public static PgEndpoint source(Plan plan) {
    return LinkTls.apply(of(plan, plan.source().url(), "source.url"), LinkTls.source(plan));
  }

  /** A node's PostgreSQL at the address its agent gave in Hello, as {@code user} in {@code dbname}, over TLS ({@link LinkTls#nodes}). */
  public static PgEndpoint node(Plan plan, NodeView node, String dbname, String user, String password) {
    return new PgEndpoint(node.hello().getHost(), node.hello().getPgPort(), dbname, user, password, LinkTls.nodes(plan).params())
        .withLimits(plan.connectionLimits());
  }

  /** The app's database on a node, as the switch points the app at it (app.user, app.password's reference). */
  public static DatabaseEndpoint app(Plan plan, NodeView node) {
    return new DatabaseEndpoint(node.hello().getHost(), node.hello().getPgPort(), plan.app().dbname(), plan.app().user(), plan.app().password());
  }

  /** Whether {@code node}'s agent said where its PostgreSQL listens (a Hello with a host). */
  public static boolean saidHello(NodeView node) {
    return node.hello() != null && !node.hello().getHost().isEmpty();
  }

  /**
   * Node {@code id}'s PostgreSQL as {@code user} in the app's database, as `pgferry plan` shows it: at the address of
   * its Hello once it said one; before that {@code <host of id>} and an unknown port (shown as {@code <port>}).
   */
  public static PgEndpoint shown(Plan plan, Optional<NodeView> node, String id, String user) {
    Optional<NodeView> said = node.filter(Endpoints::saidHello);
    return new PgEndpoint(said.map(v -> v.hello().getHost()).orElse("<host of " + id + ">"),
        said.map(v -> v.hello().getPgPort()).orElse(PgEndpoint.UNKNOWN_PORT), plan.app().dbname(), user, null);
  }

  /** {@link #app} as far as known when describing: before node {@code id}'s Hello {@code <host of id>} and port 0. */
  public static DatabaseEndpoint appShown(Plan plan, Optional<NodeView> node, String id) {
    return node.filter(Endpoints::saidHello).map(v -> app(plan, v))
        .orElse(new DatabaseEndpoint("<host of " + id + ">", 0, plan.app().dbname(), plan.app().user(), plan.app().password()));
  }

  /**
   * A node's PostgreSQL as the failover admin (failover.admin_user, a superuser on A and B); with the certificate
   * shape (nodes.hba_method cert) as the node's bootstrap superuser, logged in with the controller's certificate.
   */
  public static PgEndpoint admin(Plan plan, NodeView node, String dbname) {
    return admin(plan, node, dbname, false);
  }

  /**
   * {@link #admin(Plan, NodeView, String)}, with the certificate shape routed by purpose once
   * {@code controllerRoleExists} (logical_setup.controller_role done): the purposes {@link ControllerRole} marks log in as
   * {@link ControllerRole#NAME} (the same certificate, mapped to it too), the rest as the bootstrap superuser.
   */
  public static PgEndpoint admin(Plan plan, NodeView node, String dbname, boolean controllerRoleExists) {
    if (plan.nodes().certificates()) {
      PgEndpoint e = byCertificate(plan, node, dbname);
      return controllerRoleExists ? e.withRoles(ControllerRole.routes()) : e;
    }
    Plan.Failover f = plan.failover();
    String pw = f.adminPassword() == null || f.adminPassword().isEmpty() ? null : Secrets.resolve(f.adminPassword(), "failover.admin_password");
    return node(plan, node, dbname, f.adminUser(), pw);
  }

  /** The bootstrap superuser {@code node}'s agent reported (Status), empty before it did. */
  public static String bootstrapSuperuser(NodeView node) {
    return node.status() == null ? "" : node.status().getBootstrapSuperuser();
  }

  /**
   * The controller's certificate login to a node (no password): nodes.sslcert/sslkey, verified per nodes.sslmode, as
   * the bootstrap superuser the node's agent reported (the role its pg_ident map admits the certificate as); before
   * the agent reported one, as failover.admin_user.
   */
  static PgEndpoint byCertificate(Plan plan, NodeView node, String dbname) {
    Map<String, String> params = new LinkedHashMap<>(LinkTls.nodes(plan).params());
    params.put("sslcert", plan.nodes().sslcert());
    params.put("sslkey", plan.nodes().sslkey());
    String user = bootstrapSuperuser(node);
    return new PgEndpoint(node.hello().getHost(), node.hello().getPgPort(), dbname,
        user.isEmpty() ? plan.failover().adminUser() : user, null, params).withLimits(plan.connectionLimits());
  }
}
