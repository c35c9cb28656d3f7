package io.pgferry.controller.failover;

import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Before cutover 1 A and B are copies of the source: losing one loses nothing, but the journey cannot go on
 * without it. A node is watched once it was seen serving its role (A an archive replica, B a streaming standby, its
 * PostgreSQL up); when {@link FailureDetector#replicaLost} then declares it lost, the journey is sent back to the
 * phase that builds it ({@link JourneyService#rebuild}) and the node is watched again only once it serves again.
 * Called by {@link FailoverMonitor} on its thread.
 */
final class ReplicaLossWatch {
  private static final Logger LOG = Logger.getLogger(ReplicaLossWatch.class.getName());

  private final JourneyService journey;
  private final NodeDirectory nodes;
  private final Instant watchingSince;
  private final Set<String> watched = new HashSet<>();
  private final Map<String, Instant> pgLastUp = new HashMap<>();
  private final Map<String, FailureDetector.Kind> lastKind = new HashMap<>();

  ReplicaLossWatch(JourneyService journey, NodeDirectory nodes, Instant watchingSince) {
    this.journey = journey;
    this.nodes = nodes;
    this.watchingSince = watchingSince;
  }

  void watch(Plan plan, Instant now) throws Exception {
    check(plan, plan.nodes().archiveReplica(), NodeState.ARCHIVE_REPLICA, now);
    check(plan, plan.nodes().standby(), NodeState.STREAMING_STANDBY, now);
  }

  private void check(Plan plan, String id, NodeState role, Instant now) throws Exception {
    NodeView v = nodes.node(id).orElse(null);
    if (v == null) {
      return;
    }
    Status s = v.status() == null ? Status.getDefaultInstance() : v.status();
    boolean fresh = FailoverMonitor.freshStatus(v, now);
    if (fresh ? s.getPgReachable() : listens(v)) {
      pgLastUp.put(id, now);
    }
    if (fresh && s.getState() == role && s.getPgReachable()) {
      if (watched.add(id)) {
        LOG.info("failover monitor: " + id + " serves as " + role + "; a loss before cutover 1 rebuilds it");
      }
      lastKind.remove(id);
      return;
    }
    if (!watched.contains(id)) {
      return;
    }
    FailureDetector.Verdict verdict = FailureDetector.replicaLost(new FailureDetector.NodeSeen(id, v.connected(),
        v.lastSeen(), pgLastUp.get(id), s.getWalReceiverStatus(), v.lastSeen(), false),
        v.connected() && s.getState() == NodeState.FAILED, now, watchingSince, plan.failover().detectAfter());
    if (verdict.kind() != lastKind.put(id, verdict.kind())) {
      LOG.warning("failover monitor: " + verdict.kind() + ": " + verdict.reason() + " " + verdict.evidence());
    }
    if (!verdict.failed()) {
      return;
    }
    watched.remove(id);
    Map<String, String> ev = new LinkedHashMap<>(verdict.evidence());
    ev.put("decided_at", now.toString());
    if (!s.getLastError().isEmpty()) {
      ev.put("agent_error", s.getLastError());
    }
    LOG.warning("REBUILD: " + verdict.reason() + " " + ev);
    LOG.info(journey.rebuild(id, verdict.reason() + " before cutover 1: it is rebuilt and the journey goes back to"
        + " the phase that builds it", ev));
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
