package io.pgferry.controller.goals;

import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.util.Optional;

/** The goals the journey gives A and B, built from the plan and what the agents said in Hello. */
public final class Goals {
  private Goals() {}

  /** The application_name B streams under (and A's synchronous_standby_names names). */
  public static String applicationName(String nodeId) {
    return "pgferry_" + nodeId.replace('-', '_');
  }

  public static Goal archiveReplica(Plan plan, Optional<NodeView> standby) {
    Goal.Builder g = Goal.newBuilder().setState(NodeState.ARCHIVE_REPLICA).setArchiveUrl(plan.archive().url());
    standby.filter(Goals::saidHello).ifPresent(b -> g.addHbaRules(replicationRule(plan, b)));
    return g.build();
  }

  public static boolean saidHello(NodeView v) {
    return v.hello() != null && !v.hello().getHost().isEmpty();
  }

  public static Goal streamingStandby(Plan plan, NodeView upstream) {
    return streamingStandby(plan, upstream, plan.nodes().standby());
  }

  /** {@code nodeId} streams from {@code upstream} under its own application_name. */
  public static Goal streamingStandby(Plan plan, NodeView upstream, String nodeId) {
    Upstream.Builder u = Upstream.newBuilder()
        .setHost(upstream.hello().getHost())
        .setPort(upstream.hello().getPgPort())
        .setUser(plan.nodes().replicationUser())
        .setApplicationName(applicationName(nodeId));
    return Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setUpstream(u).build();
  }

  public static Goal primary(Plan plan, Optional<NodeView> standby) {
    Goal.Builder g = Goal.newBuilder().setState(NodeState.PRIMARY);
    if (plan.durability() == Plan.Durability.SYNC) {
      g.putSettings("synchronous_standby_names", applicationName(plan.nodes().standby()));
    }
    walKeepLimit(plan, standby).ifPresent(v -> g.putSettings("max_slot_wal_keep_size", v));
    standby.filter(Goals::saidHello).ifPresent(b -> g.addHbaRules(replicationRule(plan, b)));
    return g.build();
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

  public static HbaRule replicationRule(Plan plan, NodeView standby) {
    String user = plan.nodes().replicationUser().isEmpty() ? "all" : plan.nodes().replicationUser();
    return HbaRule.newBuilder().setType("host").setDatabase("replication").setUser(user)
        .setAddress(hostAddress(standby.hello().getHost())).setMethod(plan.nodes().hbaMethod()).build();
  }

  /** One host only: an IP literal becomes /32 (/128), a name stays a name (pg_hba accepts host names). */
  static String hostAddress(String host) {
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
