package io.pgferry.controller.journey.steps;

import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.pg.LinkTls;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.TableRef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Where the logical phases connect: A (from its Hello) as the plan's admin user, T from target.url. Secrets resolved when used. */
final class LogicalEndpoints {
  private LogicalEndpoints() {}

  /** The node logical replication reads from: A, or B once FAILOVER promoted it. */
  static String publisherId(StepContext ctx) {
    Plan plan = ctx.plan();
    return ctx.stepDoneAt(JourneyTable.FO_PROMOTE_B).isPresent() ? plan.nodes().standby() : plan.nodes().archiveReplica();
  }

  /** The publisher in messages: "A", or "B" once FAILOVER promoted it (a message calling B "A" misleads). */
  static String publisherName(StepContext ctx) {
    return ctx.stepDoneAt(JourneyTable.FO_PROMOTE_B).isPresent() ? "B" : "A";
  }

  static int publisherMajor(StepContext ctx) throws JourneyException {
    return publisher(ctx).hello().getPgMajor();
  }

  private static NodeView publisher(StepContext ctx) throws JourneyException {
    String id = publisherId(ctx);
    return Goals.node(ctx.ports().nodes(), id).filter(Goals::saidHello)
        .orElseThrow(() -> new JourneyException("node " + id + " has not said where its PostgreSQL listens (no Hello yet)"));
  }

  /**
   * The publisher (A, or B after a failover) as the plan's admin user, in the app's database; with the certificate
   * shape, once the controller's role exists, its reads as that role ({@link io.pgferry.controller.pg.ControllerRole}).
   */
  static PgEndpoint a(StepContext ctx) throws JourneyException {
    Plan plan = ctx.plan();
    Plan.Logical l = plan.logical();
    if (plan.nodes().certificates()) {
      return Endpoints.admin(plan, publisher(ctx), plan.app().dbname(),
          ctx.stepDoneAt(JourneyTable.LS_CONTROLLER_ROLE).isPresent());
    }
    return Endpoints.node(plan, publisher(ctx), plan.app().dbname(), l.adminUser(), Secrets.resolve(l.adminPassword(), "logical.admin_password"));
  }

  /** A as the logical admin user, as `pgferry plan` shows it ({@link Endpoints#shown}). */
  static PgEndpoint aShown(Plan plan, Optional<NodeView> view) {
    return Endpoints.shown(plan, view, plan.nodes().archiveReplica(), plan.logical().adminUser());
  }

  /** A as T reaches it: logical.source_host, else A's Hello host; with the subscription's TLS ({@link LinkTls#subscription}). */
  static PgEndpoint aSeenByT(StepContext ctx) throws JourneyException {
    // none of the controller's own TLS files (its CA path, its client certificate): they are paths on the controller's host
    PgEndpoint own = a(ctx);
    Map<String, String> params = new LinkedHashMap<>(own.params());
    params.keySet().removeAll(List.of("sslmode", "sslrootcert", "sslcert", "sslkey"));
    PgEndpoint a = LinkTls.apply(new PgEndpoint(own.host(), own.port(), own.database(), own.user(), own.password(), params,
        own.limits()), LinkTls.subscription(ctx.plan()));
    String host = ctx.plan().logical().sourceHost();
    return host.isEmpty() ? a : a.withAddress(host, a.port());
  }

  /** T as A reaches it for reverse replication: T's address, with the subscription's TLS. */
  static PgEndpoint tSeenByA(Plan plan) {
    return LinkTls.apply(t(plan), LinkTls.subscription(plan));
  }

  static PgEndpoint t(Plan plan) {
    return Endpoints.target(plan);
  }

  /** T as shown by `pgferry plan` (its URL may be a secret reference that is not resolvable here). */
  static PgEndpoint tShown(Plan plan) {
    try {
      return t(plan).withUser(t(plan).user(), null);
    } catch (RuntimeException e) {
      return new PgEndpoint("<target.url: " + Secrets.redact(plan.target().url()) + ">", 5432, "<db>", "<user>", null);
    }
  }

  static String replicationPassword(Plan plan) throws JourneyException {
    String ref = plan.logical().replicationPassword();
    if (ref == null || ref.isBlank()) {
      throw new JourneyException("plan: logical.replication_password is required for the replication role (env:NAME or file:PATH)");
    }
    return Secrets.resolve(ref, "logical.replication_password");
  }

  /** The app's password for its role on T, or null when the plan has none (the role then logs in as T allows). */
  static String appPassword(Plan plan) {
    String ref = plan.app().password();
    return ref == null || ref.isBlank() ? null : Secrets.resolve(ref, "app.password");
  }

  static List<TableRef> replicaIdentityFull(Plan plan) {
    return plan.replicaIdentityFull().stream().map(TableRef::parse).toList();
  }
}
