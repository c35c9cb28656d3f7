package io.pgferry.controller.sql.copy;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.proto.ExportSnapshot;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HeldSnapshot;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The snapshot held by A's agent, next to the data (Goal.export_snapshot, Status.held_snapshot; docs/copy.md): it
 * outlives this controller, so a restarted controller finds it and resumes the copy. Each {@link #create} is a new
 * attempt with a fresh id in the goal; a snapshot counts as held only when the agent reports it for the attempt the
 * goal names, on a Status of that goal's generation or later, so a snapshot of an earlier attempt (or one the agent
 * lost and may not replace: it creates once per attempt) is never taken for the current one. Every answer comes from
 * the agent itself: while it is not linked, each call waits, then fails (the step is retried), and never guesses.
 */
public final class AgentHeldSnapshot implements SnapshotHolder {
  /** The Hello capability of an agent that holds snapshots (agent's NodeAgent.EXPORT_SNAPSHOT_CAPABILITY). */
  public static final String CAPABILITY = "export-snapshot";
  public static final String PLUGIN = "pgoutput";

  /** How long to wait for the agent to answer, and for CREATE_REPLICATION_SLOT (it waits for running transactions). */
  public record Waits(Duration answer, Duration create, Duration interval) {
    public static final Waits DEFAULTS = new Waits(Duration.ofSeconds(90), Duration.ofMinutes(30), Duration.ofMillis(200));
  }

  private final NodeDirectory nodes;
  private final String nodeId;
  private final String slot;
  private final String database;
  private final Waits waits;

  public AgentHeldSnapshot(NodeDirectory nodes, String nodeId, String slot, String database, Waits waits) {
    this.nodes = nodes;
    this.nodeId = nodeId;
    this.slot = slot;
    this.database = database;
    this.waits = waits;
  }

  /** Whether {@code node}'s agent said in its Hello that it holds snapshots. */
  public static boolean supported(NodeView node) {
    return node != null && node.hello() != null && node.hello().getCapabilitiesList().contains(CAPABILITY);
  }

  @Override
  public Held held() throws Exception {
    Heard h = heard(0);
    if (!h.goal().hasExportSnapshot()) {
      return null;
    }
    HeldSnapshot s = h.status().getHeldSnapshot();
    return s.getAttempt().equals(h.goal().getExportSnapshot().getAttempt()) && !s.getSnapshotName().isEmpty()
        ? new Held(s.getSnapshotName(), s.getConsistentLsn()) : null;
  }

  @Override
  public Held create(boolean failover) throws Exception {
    Goal goal = heard(0).goal();
    if (goal.getState() != NodeState.PRIMARY) {
      throw new SQLException(nodeId + " holds goal " + goal.getState() + ", not PRIMARY: its agent cannot hold the copy's snapshot");
    }
    String attempt = "copy-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    ExportSnapshot asked = ExportSnapshot.newBuilder().setAttempt(attempt).setSlotName(slot).setPlugin(PLUGIN)
        .setDatabase(database).setFailover(failover).build();
    long generation = nodes.assign(nodeId, goal.toBuilder().setExportSnapshot(asked).build()).getGeneration();
    return Poll.until(Deadline.in(waits.create()), waits.interval(), "the agent of " + nodeId + " to create slot " + slot
        + " and hold its snapshot (attempt " + attempt + ")", () -> {
          Status s = freshStatus();
          if (s == null || s.getGoalGeneration() < generation || !s.getHeldSnapshot().getAttempt().equals(attempt)) {
            return Optional.empty();
          }
          HeldSnapshot h = s.getHeldSnapshot();
          if (!h.getError().isEmpty()) {
            throw new SQLException("the agent of " + nodeId + " could not hold the copy's snapshot: " + h.getError());
          }
          return h.getSnapshotName().isEmpty() ? Optional.empty() : Optional.of(new Held(h.getSnapshotName(), h.getConsistentLsn()));
        });
  }

  @Override
  public void release() throws Exception {
    Goal goal = heard(0).goal();
    long generation = !goal.hasExportSnapshot() ? goal.getGeneration()
        : nodes.assign(nodeId, goal.toBuilder().clearExportSnapshot().build()).getGeneration();
    heard(generation);
    Poll.untilTrue(Deadline.in(waits.answer()), waits.interval(), "the agent of " + nodeId + " to let go of the copy's snapshot",
        () -> {
          Status s = freshStatus();
          return s != null && s.getGoalGeneration() >= generation && !s.hasHeldSnapshot();
        });
  }

  @Override
  public String describe() {
    return "by the agent of " + nodeId + " (goal export_snapshot: a replication connection over its local socket, held open and"
        + " idle until the copy ends, surviving a controller restart; an agent without the export-snapshot capability: the controller"
        + " holds it, and a controller restart starts the copy afresh)";
  }

  private record Heard(Goal goal, Status status) {}

  /**
   * The goal held for the node and a Status the agent sent for it (generation at least {@code generation} and the
   * goal's), once the agent is linked.
   */
  private Heard heard(long generation) throws Exception {
    try {
      return awaitHeard(generation);
    } catch (Poll.Timeout e) {
      String lastError = nodes.node(nodeId).map(NodeView::status).map(Status::getLastError).orElse("");
      throw new SQLException(e.getMessage() + (lastError.isEmpty() ? "" : " (its last error: " + lastError + ")"), e);
    }
  }

  private Heard awaitHeard(long generation) throws Exception {
    return Poll.until(Deadline.in(waits.answer()), waits.interval(), "the agent of " + nodeId + " to be linked and report its"
        + " goal's status", () -> {
          Optional<NodeView> v = nodes.node(nodeId);
          if (v.isEmpty() || !v.get().connected() || v.get().goal() == null) {
            return Optional.empty();
          }
          Status s = freshStatus();
          Goal g = v.get().goal();
          return s == null || s.getGoalGeneration() < Math.max(generation, g.getGeneration()) ? Optional.empty()
              : Optional.of(new Heard(g, s));
        });
  }

  /** A Status asked for now over the link (the periodic one can be a second old); null when the agent did not answer. */
  private Status freshStatus() throws InterruptedException {
    try {
      return nodes.statusNow(nodeId, Duration.ofSeconds(2)).toCompletionStage().toCompletableFuture().get(2500, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return null;
    }
  }
}
