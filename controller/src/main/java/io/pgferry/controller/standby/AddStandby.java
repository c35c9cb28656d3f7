package io.pgferry.controller.standby;

import io.pgferry.common.UsageException;
import io.pgferry.controller.sql.slots.PhysicalSlots;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * `pgferry add-standby NODE [--upstream NODE]`: gives NODE the goal STREAMING_STANDBY of the current primary (the
 * node whose goal is PRIMARY; before cutover 1, when no node is primary, the standby B streams again from the archive
 * replica A) with {@code rebuild}, so an agent whose data dir holds a diverged cluster (the old primary after a
 * failover) or a broken one discards it and takes a fresh base backup. The upstream's goal gets the pg_hba
 * replication rule for NODE's host first. A standby of the primary streams through its own physical slot there
 * (named like its application_name): assigning the goal renews it (an inactive slot the lost node left behind holds
 * WAL and xmin from the past, so it is dropped and created afresh), a run that assigns nothing only makes sure it
 * exists. With durability sync (after a failover) {@link SyncWatch} names NODE in the
 * primary's synchronous_standby_names once it streams. Idempotent: what is in place already is not assigned again,
 * and only a change is journaled (a DECISION). Blocking: call from a worker thread.
 */
public final class AddStandby {
  private static final Logger LOG = Logger.getLogger(AddStandby.class.getName());

  private final JourneyService journey;
  private final NodeDirectory nodes;
  private final SyncWatch sync;
  private final StandbySlots slots;

  public AddStandby(JourneyService journey, NodeDirectory nodes, SyncWatch sync) {
    this(journey, nodes, sync, StandbySlots.postgres());
  }

  public AddStandby(JourneyService journey, NodeDirectory nodes, SyncWatch sync, StandbySlots slots) {
    this.journey = journey;
    this.nodes = nodes;
    this.sync = sync;
    this.slots = slots;
  }

  /** What was done (or that nothing was needed), in one line. */
  public String add(String nodeId, String upstreamId) throws Exception {
    Plan plan = journey.plan().orElseThrow(() -> new UsageException(
        "add-standby: no plan applied on this controller; run `pgferry apply PLAN` first"));
    NodeView node = known(plan, nodeId, "node");
    NodeView upstream = upstreamFor(plan, nodeId, upstreamId);
    if (!Goals.saidHello(upstream)) {
      throw new IllegalStateException("add-standby: the upstream " + upstream.nodeId() + " has not connected since the"
          + " controller started, so its address is unknown; start its agent and try again");
    }
    if (!Goals.saidHello(node)) {
      throw new IllegalStateException("add-standby: " + nodeId + "'s agent has not connected since the controller"
          + " started (its host is needed for " + upstream.nodeId() + "'s pg_hba rule); start it and try again");
    }
    List<String> done = new ArrayList<>();
    Map<String, String> evidence = new LinkedHashMap<>();
    evidence.put("node", nodeId);
    evidence.put("upstream", upstream.nodeId());

    HbaRule rule = Goals.replicationRule(plan, node);
    if (!upstream.goal().getHbaRulesList().contains(rule)) {
      Goal g = nodes.assign(upstream.nodeId(), upstream.goal().toBuilder().addHbaRules(rule).build());
      done.add(upstream.nodeId() + " allows replication from " + rule.getAddress() + " (goal generation "
          + g.getGeneration() + ")");
      evidence.put("upstream_generation", String.valueOf(g.getGeneration()));
    }
    Goal wanted = standbyGoal(plan, node.goal(), upstream, nodeId);
    boolean assign = !Goals.same(node.goal(), wanted);
    String slot = wanted.getUpstream().getSlotName();
    if (!slot.isEmpty() && upstream.goal().getState() == NodeState.PRIMARY) {
      PhysicalSlots.Outcome o = assign ? slots.renew(plan, upstream, slot) : slots.ensure(plan, upstream, slot);
      switch (o) {
        case CREATED -> done.add("physical slot " + slot + " created on " + upstream.nodeId());
        case RENEWED -> done.add("physical slot " + slot + " on " + upstream.nodeId()
            + " dropped (inactive, left by the lost node) and created afresh");
        case KEPT -> LOG.info("add-standby: " + slot + " on " + upstream.nodeId() + " is in use, kept as it is");
        case EXISTED -> { }
      }
      if (o != PhysicalSlots.Outcome.EXISTED) {
        evidence.put("slot", slot);
        evidence.put("slot_action", o.name());
      }
    }
    if (assign) {
      Goal g = nodes.assign(nodeId, wanted);
      done.add(nodeId + " := STREAMING_STANDBY of " + upstream.nodeId() + " with rebuild (goal generation "
          + g.getGeneration() + "; a data dir that cannot stream from " + upstream.nodeId()
          + " is discarded and copied afresh)");
      evidence.put("generation", String.valueOf(g.getGeneration()));
      evidence.put("rebuild", "true");
    }
    boolean watched = plan.durability() == Plan.Durability.SYNC && upstream.goal().getState() == NodeState.PRIMARY
        && journey.failoverEntered() && sync.watch(nodeId, upstream.nodeId());
    if (done.isEmpty()) {
      return "add-standby: nothing to do: " + nodeId + " already holds the goal STREAMING_STANDBY of "
          + upstream.nodeId() + (watched ? "; durability sync follows it" : "");
    }
    String message = "add-standby: " + String.join("; ", done) + (watched ? "; durability sync names "
        + Goals.applicationName(nodeId) + " on " + upstream.nodeId() + " once it streams" : "");
    LOG.info(message);
    journey.decision(message, evidence);
    return message;
  }

  /**
   * The standby goal: streaming from the upstream under the node's own application_name, rebuild on; from a primary
   * through a physical slot named like the application_name. A held standby goal on the same upstream keeps what the
   * journey put there (slot, dbname, logical slots to keep).
   */
  static Goal standbyGoal(Plan plan, Goal held, NodeView upstream, String nodeId) {
    Goal g;
    if (held != null && held.getState() == NodeState.STREAMING_STANDBY
        && held.getUpstream().getHost().equals(upstream.hello().getHost())
        && held.getUpstream().getPort() == upstream.hello().getPgPort()) {
      g = held.toBuilder().setRebuild(true).build();
    } else {
      g = Goals.streamingStandby(plan, upstream, nodeId).toBuilder().setRebuild(true).build();
    }
    if (g.getUpstream().getSlotName().isEmpty() && upstream.goal().getState() == NodeState.PRIMARY) {
      g = g.toBuilder().setUpstream(g.getUpstream().toBuilder().setSlotName(Goals.applicationName(nodeId))).build();
    }
    return g;
  }

  private NodeView known(Plan plan, String nodeId, String what) {
    TreeSet<String> ids = new TreeSet<>(List.of(plan.nodes().archiveReplica(), plan.nodes().standby()));
    nodes.all().forEach(v -> ids.add(v.nodeId()));
    if (nodeId == null || nodeId.isBlank() || !ids.contains(nodeId)) {
      throw new UsageException("add-standby: unknown " + what + " '" + nodeId + "'; known nodes: " + ids);
    }
    return nodes.node(nodeId).orElseGet(() -> new NodeView(nodeId, null, null, Goal.getDefaultInstance(), false, null,
        Optional.empty()));
  }

  private NodeView upstreamFor(Plan plan, String nodeId, String upstreamId) {
    List<NodeView> primaries = nodes.all().stream()
        .filter(v -> v.goal() != null && v.goal().getState() == NodeState.PRIMARY).toList();
    if (primaries.stream().anyMatch(v -> v.nodeId().equals(nodeId))) {
      throw new UsageException("add-standby: " + nodeId + " is the primary (its goal is PRIMARY); add a standby"
          + " of it instead, e.g. pgferry add-standby <other node>");
    }
    if (upstreamId != null && !upstreamId.isBlank()) {
      NodeView up = known(plan, upstreamId, "upstream");
      if (upstreamId.equals(nodeId)) {
        throw new UsageException("add-standby: a node cannot stream from itself (--upstream " + upstreamId + ")");
      }
      NodeState s = up.goal() == null ? NodeState.NODE_STATE_UNSPECIFIED : up.goal().getState();
      if (s != NodeState.PRIMARY && s != NodeState.ARCHIVE_REPLICA && s != NodeState.STREAMING_STANDBY) {
        throw new UsageException("add-standby: the upstream " + upstreamId + " holds the goal " + s
            + "; stream from a node that is PRIMARY, ARCHIVE_REPLICA or STREAMING_STANDBY");
      }
      return up;
    }
    if (primaries.size() > 1) {
      throw new IllegalStateException("add-standby: more than one node holds the goal PRIMARY ("
          + primaries.stream().map(NodeView::nodeId).toList() + "); pass --upstream NODE");
    }
    if (primaries.size() == 1) {
      return primaries.get(0);
    }
    // before cutover 1: no primary yet; the standby B streams from the archive replica A
    String a = plan.nodes().archiveReplica();
    Optional<NodeView> av = nodes.node(a);
    if (nodeId.equals(plan.nodes().standby()) && av.isPresent() && av.get().goal() != null
        && av.get().goal().getState() == NodeState.ARCHIVE_REPLICA) {
      return av.get();
    }
    throw new IllegalStateException("add-standby: no primary known (no node holds the goal PRIMARY"
        + (nodeId.equals(plan.nodes().standby()) ? " and " + a + " is no archive replica" : "")
        + "); before cutover 1 only the standby " + plan.nodes().standby() + " can be added back (from " + a
        + "), or pass --upstream NODE");
  }
}
