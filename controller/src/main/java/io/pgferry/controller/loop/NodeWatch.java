package io.pgferry.controller.loop;

import io.pgferry.common.pg.PgConnections;
import io.pgferry.common.pg.Purpose;
import io.pgferry.common.pg.Timeouts;
import io.pgferry.controller.failover.FailureDetector;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * What the controller loop remembers of A and B between cycles, and the probes that refresh it: when each
 * PostgreSQL was last reachable (from a fresh Status, else a session or a TCP connect of its own), which replicas were
 * seen serving their role (only those can be lost), and the last verdict of each watch (logged and journaled when it
 * changes). One per term: a new leader, or a restarted controller, counts silence from its own start.
 */
final class NodeWatch {
  private static final Logger LOG = Logger.getLogger(NodeWatch.class.getName());
  private static final Duration FRESH_STATUS = Duration.ofMillis(1500);

  private final Instant watchingSince;
  private Instant aPgLastReachable;
  private final Set<String> watched = new HashSet<>();
  private final Map<String, Instant> pgLastUp = new HashMap<>();
  private final Map<String, FailureDetector.Kind> lastKind = new HashMap<>();
  private boolean droppedToAsync;

  NodeWatch(Instant watchingSince) {
    this.watchingSince = watchingSince;
  }

  Instant watchingSince() {
    return watchingSince;
  }

  /** Looks at A and B as replicas before cutover 1 (probing a replica's port when its Status is not fresh). */
  LoopSnapshot.Nodes replicas(Plan plan, NodeDirectory nodes, Instant now) {
    List<LoopSnapshot.Replica> replicas = new ArrayList<>();
    replica(nodes, plan.nodes().archiveReplica(), NodeState.ARCHIVE_REPLICA, now).ifPresent(replicas::add);
    replica(nodes, plan.nodes().standby(), NodeState.STREAMING_STANDBY, now).ifPresent(replicas::add);
    return new LoopSnapshot.Nodes(watchingSince, Optional.empty(), false, false, replicas);
  }

  /**
   * Looks at A and B as primary and standby (probing A's PostgreSQL when its Status is not fresh; as the controller's
   * own role once {@code controllerRoleExists}).
   */
  LoopSnapshot.Nodes pair(Plan plan, NodeDirectory nodes, Instant now, boolean controllerRoleExists) {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    Optional<NodeView> av = nodes.node(a);
    Optional<NodeView> bv = nodes.node(b);
    if (av.isEmpty() || bv.isEmpty()) {
      return LoopSnapshot.Nodes.unseen(watchingSince);
    }
    probeA(plan, av.get(), now, controllerRoleExists);
    String bApp = Goals.applicationName(b);
    Status as = status(av.get());
    Status bs = status(bv.get());
    boolean sendsToB = as.getReplicasList().stream().anyMatch(r -> r.getApplicationName().equals(bApp)
        && r.getState().equals("streaming"));
    FailureDetector.Snapshot pair = new FailureDetector.Snapshot(now, watchingSince,
        new FailureDetector.NodeSeen(a, av.get().connected(), av.get().lastSeen(), aPgLastReachable, "", null, sendsToB),
        new FailureDetector.NodeSeen(b, bv.get().connected(), bv.get().lastSeen(), null, bs.getWalReceiverStatus(),
            bv.get().lastSeen(), false));
    return new LoopSnapshot.Nodes(watchingSince, Optional.of(pair), av.get().connected(), !as.getSyncState().isEmpty(),
        List.of());
  }

  private Optional<LoopSnapshot.Replica> replica(NodeDirectory nodes, String id, NodeState role, Instant now) {
    NodeView v = nodes.node(id).orElse(null);
    if (v == null) {
      return Optional.empty();
    }
    Status s = status(v);
    boolean fresh = freshStatus(v, now);
    if (fresh ? s.getPgReachable() : listens(v)) {
      pgLastUp.put(id, now);
    }
    boolean serving = fresh && s.getState() == role && s.getPgReachable();
    if (serving) {
      if (watched.add(id)) {
        LOG.info("controller loop: " + id + " serves as " + role + "; a loss before cutover 1 rebuilds it");
      }
      lastKind.remove(id);
    }
    return Optional.of(new LoopSnapshot.Replica(new FailureDetector.NodeSeen(id, v.connected(), v.lastSeen(),
        pgLastUp.get(id), s.getWalReceiverStatus(), v.lastSeen(), false), serving, watched.contains(id),
        v.connected() && s.getState() == NodeState.FAILED, s.getLastError()));
  }

  /** A rebuild was decided: the node is watched again only once it serves again. */
  void forget(String nodeId) {
    watched.remove(nodeId);
  }

  /** Records {@code v} as the last verdict of {@code watch}; returns whether it changed (or is the first). */
  boolean changed(String watch, FailureDetector.Verdict v) {
    return lastKind.put(watch, v.kind()) != v.kind();
  }

  /** Whether {@code watch} had no verdict before this one. */
  boolean firstVerdict(String watch) {
    return !lastKind.containsKey(watch);
  }

  boolean droppedToAsync() {
    return droppedToAsync;
  }

  void droppedToAsync(boolean dropped) {
    droppedToAsync = dropped;
  }

  private static Status status(NodeView v) {
    return v.status() == null ? Status.getDefaultInstance() : v.status();
  }

  /** Whether the node's last Status is recent enough to speak for its PostgreSQL now. */
  static boolean freshStatus(NodeView v, Instant now) {
    return v.connected() && v.lastSeen() != null && Duration.between(v.lastSeen(), now).compareTo(FRESH_STATUS) < 0;
  }

  /** A's PostgreSQL counts as reachable when its agent's fresh Status says so, else when it accepts a session. */
  private void probeA(Plan plan, NodeView av, Instant now, boolean controllerRoleExists) {
    if (freshStatus(av, now) && av.status() != null && av.status().getPgReachable()) {
      aPgLastReachable = now;
      return;
    }
    if (av.hello() == null || av.hello().getHost().isEmpty()) {
      return;
    }
    Timeouts oneSecondToConnect = Purpose.PROBE.defaults().with(Duration.ofSeconds(1), null, null, null);
    try (Connection c = PgConnections.open(Endpoints.admin(plan, av, "postgres", controllerRoleExists), Purpose.PROBE,
        oneSecondToConnect)) {
      aPgLastReachable = now;
    } catch (Exception e) {
      // unreachable: the detector counts the silence
    }
  }

  /** Whether the node's postmaster accepts connections (a TCP connect; no credentials needed before cutover 1). */
  private static boolean listens(NodeView v) {
    if (v.hello() == null || v.hello().getHost().isEmpty()) {
      return false;
    }
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(v.hello().getHost(), v.hello().getPgPort()), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
