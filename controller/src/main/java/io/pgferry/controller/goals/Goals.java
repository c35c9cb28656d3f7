package io.pgferry.controller.goals;

import io.pgferry.common.FailsafeTiming;
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
    // replies at least once a second even while WAL is idle: the upstream's failsafe evidence (docs/failsafe.md)
    return Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setUpstream(u)
        .putSettings("wal_receiver_status_interval", FailsafeTiming.STANDBY_STATUS_INTERVAL.toSeconds() + "s").build();
  }

  public static Goal primary(Plan plan, Optional<NodeView> standby) {
    // while B streams from it, A serves on when its lease cannot be renewed (failsafe, docs/failsafe.md)
    Goal.Builder g = Goal.newBuilder().setState(NodeState.PRIMARY).setFailsafeStandby(applicationName(plan.nodes().standby()));
    if (plan.durability() == Plan.Durability.SYNC) {
      g.putSettings("synchronous_standby_names", applicationName(plan.nodes().standby()));
    }
    standby.filter(Goals::saidHello).ifPresent(b -> g.addHbaRules(replicationRule(plan, b)));
    return g.build();
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
