package io.pgferry.controller.goals;

import io.pgferry.common.FailsafeTiming;
import io.pgferry.controller.link.AgentIdentity;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.ControllerRole;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.pg.LinkTls;
import io.pgferry.controller.plan.Plan;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/** The goals the journey gives A and B, built from the plan and what the agents said in Hello. */
public final class Goals {
  /** The CN of the controller's certificate (certs.CertificateAuthority.CONTROLLER_NAME; goals may not depend on certs). */
  public static final String CONTROLLER_CN = "controller";

  private Goals() {}

  /** The application_name B streams under (and A's synchronous_standby_names names). */
  public static String applicationName(String nodeId) {
    return "pgferry_" + nodeId.replace('-', '_');
  }

  public static Goal archiveReplica(Plan plan, Optional<NodeView> standby) {
    Goal.Builder g = Goal.newBuilder().setState(NodeState.ARCHIVE_REPLICA).setArchiveUrl(plan.archive().url());
    standby.filter(Goals::saidHello).ifPresent(b -> g.addHbaRules(replicationRule(plan, b)));
    return g.addAllHbaRules(accessRules(plan)).build();
  }

  public static boolean saidHello(NodeView v) {
    return Endpoints.saidHello(v);
  }

  public static Goal streamingStandby(Plan plan, NodeView upstream) {
    return streamingStandby(plan, upstream, plan.nodes().standby());
  }

  /** {@code nodeId} streams from {@code upstream} under its own application_name. */
  public static Goal streamingStandby(Plan plan, NodeView upstream, String nodeId) {
    String user = plan.nodes().replicationUser();
    if (plan.nodes().certificates() && user.isEmpty()) {
      user = Endpoints.bootstrapSuperuser(upstream); // what the upstream's certificate rule maps B's certificate to
    }
    Upstream.Builder u = Upstream.newBuilder()
        .setHost(upstream.hello().getHost())
        .setPort(upstream.hello().getPgPort())
        .setUser(user)
        .setApplicationName(applicationName(nodeId))
        .setSslmode(LinkTls.nodes(plan).mode())
        .setClientCert(plan.nodes().certificates());
    // replies at least once a second even while WAL is idle: the upstream's failsafe evidence (docs/failsafe.md)
    return Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setUpstream(u).addAllHbaRules(accessRules(plan))
        .putSettings("wal_receiver_status_interval", FailsafeTiming.STANDBY_STATUS_INTERVAL.toSeconds() + "s").build();
  }

  public static Goal primary(Plan plan, Optional<NodeView> standby) {
    // while B streams from it, A serves on when its lease cannot be renewed (failsafe, docs/failsafe.md)
    Goal.Builder g = Goal.newBuilder().setState(NodeState.PRIMARY).setFailsafeStandby(applicationName(plan.nodes().standby()));
    if (plan.durability() == Plan.Durability.SYNC) {
      g.putSettings("synchronous_standby_names", applicationName(plan.nodes().standby()));
    }
    walKeepLimit(plan, standby).ifPresent(v -> g.putSettings("max_slot_wal_keep_size", v));
    standby.filter(Goals::saidHello).ifPresent(b -> {
      g.addHbaRules(replicationRule(plan, b));
      if (plan.nodes().certificates()) {
        g.addHbaRules(slotReadingRule(plan, b));
      }
    });
    return g.addAllHbaRules(accessRules(plan)).build();
  }

  /**
   * With the certificate shape, B's agent also reads the logical slot it keeps a copy of from A's app database
   * (SlotGuard), and on PostgreSQL 17 B's slot sync worker logs in there (a database, not a replication, entry):
   * B's certificate, from B's address only.
   */
  static HbaRule slotReadingRule(Plan plan, NodeView standby) {
    return certificateRule(plan.app().dbname(), hostAddress(standby.hello().getHost()),
        AgentIdentity.commonNameFor(standby.nodeId()));
  }

  /**
   * wal_safety.max_slot_wal_keep_size for the primary, from PostgreSQL 13 (the major A and B share, from B's Hello,
   * else the plan's source.pg_major): older servers do not know the setting and would not start with it.
   */
  static Optional<String> walKeepLimit(Plan plan, Optional<NodeView> standby) {
    String v = plan.walSafety().maxSlotWalKeepSize();
    Integer major = standby.filter(Goals::saidHello).map(b -> b.hello().getPgMajor()).filter(m -> m > 0)
        .orElse(plan.source().pgMajor());
    return v.isEmpty() || major == null || major < 13 ? Optional.empty() : Optional.of(v);
  }

  /**
   * The pg_hba method for logins with a password (the app; T's replication role): nodes.hba_method, or with the
   * certificate shape scram-sha-256 (md5 before PostgreSQL 14, whose roles hold md5 verifiers by default).
   */
  public static String passwordMethod(Plan plan) {
    if (!plan.nodes().certificates()) {
      return plan.nodes().hbaMethod();
    }
    Integer major = plan.source().pgMajor();
    return major != null && major < 14 ? "md5" : "scram-sha-256";
  }

  /**
   * A certificate login: {@code commonName}'s certificate (pgferry's CA) as the node's bootstrap superuser (the agent
   * maps it), to {@code database} from {@code address} only.
   */
  static HbaRule certificateRule(String database, String address, String commonName) {
    return HbaRule.newBuilder().setType("hostssl").setDatabase(database).setUser("").setAddress(address).setMethod("cert")
        .setClientCn(commonName).build();
  }

  /**
   * B's stream from A: the replication user from B's address only, over TLS; with the certificate shape B's agent
   * certificate, mapped to A's bootstrap superuser.
   */
  public static HbaRule replicationRule(Plan plan, NodeView standby) {
    if (plan.nodes().certificates()) {
      return certificateRule("replication", hostAddress(standby.hello().getHost()),
          AgentIdentity.commonNameFor(standby.nodeId()));
    }
    String user = plan.nodes().replicationUser().isEmpty() ? "all" : plan.nodes().replicationUser();
    return hostssl("replication", user, hostAddress(standby.hello().getHost()), plan.nodes().hbaMethod());
  }

  /**
   * Who else reaches A and B over the network, over TLS only: the controller (nodes.controller_address) as the
   * plan's admin users (certificate shape: as the bootstrap superuser and as {@link
   * io.pgferry.controller.pg.ControllerRole#NAME}), and the app hosts (nodes.app_addresses) as app.user in app.dbname. Loopback needs none
   * (the agent's own pg_hba lines cover it).
   */
  public static List<HbaRule> accessRules(Plan plan) {
    List<HbaRule> rules = new ArrayList<>();
    String controller = plan.nodes().controllerAddress();
    if (!controller.isEmpty() && plan.nodes().certificates()) {
      rules.add(certificateRule("all", hostAddress(controller), CONTROLLER_CN));
      // the same certificate as the controller's least-privilege role (created after cutover 1; unused until then)
      rules.add(certificateRule("all", hostAddress(controller), CONTROLLER_CN).toBuilder()
          .setUser(ControllerRole.NAME).build());
    } else if (!controller.isEmpty()) {
      for (String user : new LinkedHashSet<>(List.of(plan.failover().adminUser(), plan.logical().adminUser()))) {
        rules.add(hostssl("all", user, hostAddress(controller), plan.nodes().hbaMethod()));
      }
    }
    for (String app : plan.nodes().appAddresses()) {
      rules.add(hostssl(plan.app().dbname(), plan.app().user(), hostAddress(app), passwordMethod(plan)));
    }
    return rules;
  }

  static HbaRule hostssl(String database, String user, String address, String method) {
    return HbaRule.newBuilder().setType("hostssl").setDatabase(database).setUser(user).setAddress(address).setMethod(method).build();
  }

  /** One host only: an IP literal becomes /32 (/128), a name stays a name (pg_hba accepts host names); a CIDR stays. */
  static String hostAddress(String host) {
    if (host.contains("/")) {
      return host;
    }
    if (host.matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
      return host + "/32";
    }
    return host.contains(":") ? host + "/128" : host;
  }

  /** Whether {@code held} is {@code wanted} (the directory stamps generations; they do not count). */
  public static boolean same(Goal held, Goal wanted) {
    return held != null && held.toBuilder().setGeneration(0).build().equals(wanted.toBuilder().setGeneration(0).build());
  }

  public static Optional<NodeView> node(NodeDirectory nodes, String id) {
    return nodes == null ? Optional.empty() : nodes.node(id);
  }
}
