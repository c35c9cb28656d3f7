package io.pgferry.controller.journey;

import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.sql.collation.CollationReport;
import io.pgferry.proto.ArchiveStatus;
import io.pgferry.proto.Disk;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Test double of the link's node directory for engine unit tests only (real agents and clusters come with the
 * link and agent branches). Each read advances a tiny simulation of the agents one tick toward their goals, so
 * waits converge deterministically.
 */
public final class InMemoryNodeDirectory implements NodeDirectory {
  final Map<String, Status> statuses = new LinkedHashMap<>();
  final Map<String, Goal> goals = new LinkedHashMap<>();
  final Map<String, Hello> hellos = new LinkedHashMap<>();
  final List<String> assignments = new ArrayList<>();
  int archiveLag = 5;
  public volatile String failArchiveReplicaWith;
  /** Run once, at the next read of a node's view (then cleared): an event in the middle of a step. */
  volatile Runnable onNextNodeRead;
  /** When set, A's archive lag stays here (the last segment never arrives). */
  volatile Long stuckLag;

  /** These nodes have no PostgreSQL: cutover 1's collation check finds their catalog clean. */
  public static final CollationProbe CLEAN_COLLATION = (plan, node, clock) -> new CollationReport(
      plan.app().dbname(), List.of(), List.of(), true, List.of(), List.of(),
      List.of(), 0, Duration.ZERO);

  synchronized InMemoryNodeDirectory add(String id, String host, int port, int major) {
    hellos.put(id, Hello.newBuilder().setNodeId(id).setHost(host).setPgPort(port).setPgMajor(major).build());
    statuses.put(id, Status.newBuilder().setNodeId(id).setState(NodeState.EMPTY).setPgMajor(major)
        .setDisk(Disk.newBuilder().setDataDirFreeBytes(100L << 30).setDataDirTotalBytes(200L << 30)).build());
    goals.put(id, Goal.getDefaultInstance());
    return this;
  }

  @Override
  public synchronized List<NodeView> all() {
    return hellos.keySet().stream().map(id -> view(id)).toList();
  }

  @Override
  public synchronized Optional<NodeView> node(String nodeId) {
    if (!hellos.containsKey(nodeId)) {
      return Optional.empty();
    }
    Runnable event = onNextNodeRead;
    if (event != null) {
      onNextNodeRead = null;
      event.run();
    }
    tick(nodeId);
    return Optional.of(view(nodeId));
  }

  private NodeView view(String id) {
    return new NodeView(id, hellos.get(id), statuses.get(id), goals.get(id), true, Instant.now(), Optional.empty());
  }

  @Override
  public synchronized Goal assign(String nodeId, Goal goal) {
    Goal held = goals.get(nodeId);
    if (held.toBuilder().setGeneration(0).build().equals(goal.toBuilder().setGeneration(0).build())) {
      return held;
    }
    Goal g = goal.toBuilder().setGeneration(held.getGeneration() + 1).build();
    goals.put(nodeId, g);
    assignments.add(nodeId + ":" + g.getState());
    return g;
  }

  @Override
  public Future<Status> statusNow(String nodeId, Duration timeout) {
    return Future.succeededFuture(statuses.get(nodeId));
  }

  /** One step of a simulated agent toward its goal. */
  private void tick(String id) {
    Status s = statuses.get(id);
    Goal g = goals.get(id);
    Status.Builder b = s.toBuilder();
    switch (g.getState()) {
      case ARCHIVE_REPLICA -> {
        if (failArchiveReplicaWith != null) {
          b.setState(NodeState.FAILED).setLastError(failArchiveReplicaWith);
          break;
        }
        long lag = stuckLag != null ? stuckLag : s.getState() == NodeState.ARCHIVE_REPLICA
            ? Math.max(0, s.getArchive().getLagSegments() - 1) : archiveLag;
        b.setState(NodeState.ARCHIVE_REPLICA).setInRecovery(true).setPgRunning(true).setTimeline(1)
            .setReplayLsn("0/" + Long.toHexString(0x10000000L - lag * 0x1000000L).toUpperCase())
            .setArchive(ArchiveStatus.newBuilder().setLagSegments(lag)
                .setLastRestoredSegment(String.format("%024X", 16 - lag)).setArchiveHeadSegment(String.format("%024X", 16)));
      }
      case STREAMING_STANDBY -> {
        int upstreamTimeline = statuses.values().stream()
            .filter(o -> o.getState() == NodeState.PRIMARY || o.getState() == NodeState.ARCHIVE_REPLICA)
            .mapToInt(Status::getTimeline).max().orElse(1);
        b.setState(NodeState.STREAMING_STANDBY).setInRecovery(true).setPgRunning(true).setTimeline(upstreamTimeline)
            .setWalReceiverStatus("streaming").setUpstream(g.getUpstream().getHost() + ":" + g.getUpstream().getPort())
            .setReplayLagBytes(0).setReplayLsn("0/10000000");
      }
      case PRIMARY -> {
        if (s.getState() != NodeState.PRIMARY) {
          b.setState(NodeState.PRIMARY).setInRecovery(false).setTimeline(s.getTimeline() + 1)
              .setCurrentLsn("0/10000100");
        }
      }
      default -> { }
    }
    statuses.put(id, b.build());
  }
}
