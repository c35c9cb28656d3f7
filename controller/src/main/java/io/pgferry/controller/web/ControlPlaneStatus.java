package io.pgferry.controller.web;

import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.store.ControlPlane;
import io.pgferry.proto.NodeState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * {@code GET /api/control-plane} (issue #17 item 6): which controller leads, each controller's health (its last
 * heartbeat in etcd; healthy while younger than the leader lease's ttl), etcd's members, and each primary's lease
 * and failsafe state as its agent last reported it. Snake_case JSON through JourneyJson.MAPPER.
 */
public record ControlPlaneStatus(String store, String self, boolean leading, String leader, long leaderChanges,
                                 List<ControllerLine> controllers, Etcd etcd, List<PrimaryLine> primaries) {
  public record ControllerLine(String address, boolean leading, String lastSeen, long lastSeenAgeMs, boolean healthy) {}

  /** {@code healthy}: members answering their /health with quorum, of {@code members}. */
  public record Etcd(int healthy, int members, List<Member> endpoints) {}

  public record Member(String endpoint, boolean healthy) {}

  /**
   * A node whose goal is PRIMARY (without a goal: whose state is): its lease left (null: none granted by this controller), whether it serves
   * in failsafe (lease lapsed, its standby's evidence keeps it up; docs/failsafe.md) and the standby it watches.
   */
  public record PrimaryLine(String node, boolean connected, Long leaseRemainingMs, boolean failsafeServing,
                            String failsafeStandby) {}

  public static ControlPlaneStatus of(ControlPlane cp, Collection<NodeView> nodes, Instant now) {
    List<ControllerLine> controllers = new ArrayList<>();
    for (ControlPlane.Controller c : cp.controllers()) {
      long age = Math.max(0, Duration.between(c.lastSeen(), now).toMillis());
      // a follower's own line may say "leading" from a heartbeat before the change: the leader key decides
      boolean leads = cp.leader() != null ? cp.leader().equals(c.address()) : c.leading();
      controllers.add(new ControllerLine(c.address(), leads, c.lastSeen().toString(), age, age <= cp.leaseTtl().toMillis()));
    }
    Etcd etcd = null;
    if (!cp.etcdMembers().isEmpty()) {
      List<Member> members = new ArrayList<>();
      cp.etcdMembers().forEach((endpoint, healthy) -> members.add(new Member(endpoint, healthy)));
      etcd = new Etcd((int) members.stream().filter(Member::healthy).count(), members.size(), members);
    }
    List<PrimaryLine> primaries = new ArrayList<>();
    for (NodeView n : nodes) {
      // the goal decides (a failed-over primary's last Status still says PRIMARY); without one, what it reported
      boolean primary = n.goal() != null && n.goal().getGeneration() > 0 ? n.goal().getState() == NodeState.PRIMARY
          : n.status() != null && n.status().getState() == NodeState.PRIMARY;
      if (!primary) {
        continue;
      }
      Long lease = n.leaseExpiresAt().map(t -> Math.max(0, Duration.between(now, t).toMillis())).orElse(null);
      primaries.add(new PrimaryLine(n.nodeId(), n.connected(), lease, n.status() != null && n.status().getFailsafeServing(),
          n.goal() == null ? "" : n.goal().getFailsafeStandby()));
    }
    return new ControlPlaneStatus(cp.store(), cp.self(), cp.leading(), cp.leader(), cp.leaderChanges(), controllers, etcd,
        primaries);
  }
}
