package io.pgferry.controller.link;

import io.pgferry.common.UsageException;
import io.pgferry.proto.Assignment;
import io.pgferry.proto.ControllerMessage;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.Lease;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * The {@link NodeDirectory} behind the link server: per node the agent's Hello, its latest Status, when it was last
 * heard from, its open session, and the goal assigned to it (persisted in {@link GoalRecords}). A PRIMARY goal's
 * lease is renewed with every Status: the agent gets Lease{status_seq = that Status's seq}, and the controller
 * records expiry = the moment it received that Status + lease duration, which is never earlier than the agent's
 * own reckoning (sent time + duration).
 *
 * <p>Thread-safe: sessions call in on event loops, the HTTP API and the journey engine on worker threads.
 * {@link #assign} writes the state file and so must not be called on an event loop.
 */
public final class LinkDirectory implements NodeDirectory {
  private static final Logger LOG = Logger.getLogger(LinkDirectory.class.getName());
  /** The states a goal may name; the others are states an agent can only report. */
  public static final Set<NodeState> GOAL_STATES = EnumSet.of(NodeState.ARCHIVE_REPLICA, NodeState.STREAMING_STANDBY,
      NodeState.PRIMARY, NodeState.FENCED, NodeState.STOPPED);

  private final Vertx vertx;
  private final GoalRecords store;
  private final AddressRecords addresses;
  private final Duration lease;
  private final Clock clock;
  private final boolean verifyIdentity;
  private final Object lock = new Object();
  private final Object assignLock = new Object();
  private final Map<String, NodeRecord> nodes = new TreeMap<>();

  private LinkDirectory(Vertx vertx, GoalRecords store, AddressRecords addresses, Duration lease, Clock clock,
                        boolean verifyIdentity) {
    this.vertx = vertx;
    this.store = store;
    this.addresses = addresses;
    this.lease = lease;
    this.clock = clock;
    this.verifyIdentity = verifyIdentity;
  }

  /**
   * Loads the goals kept in {@code store} (the embedded file, or etcd; blocking). With {@code verifyIdentity} each
   * Hello's node id must match the client certificate's CN ({@link AgentIdentity}); without it (insecure links, tests
   * only) ids are taken on trust.
   */
  public static LinkDirectory open(Vertx vertx, GoalRecords store, Duration lease, Clock clock, boolean verifyIdentity) {
    return open(vertx, store, AddressRecords.NONE, lease, clock, verifyIdentity);
  }

  /**
   * As above, also with where each node's PostgreSQL listened when this controller's predecessor last heard from its
   * agent: until the agent says Hello again, a node's view carries that address (its {@code connected} false, its
   * Status empty), so the steps of a resumed journey can reach the databases while the agents redial.
   */
  public static LinkDirectory open(Vertx vertx, GoalRecords store, AddressRecords addresses, Duration lease, Clock clock,
                                   boolean verifyIdentity) {
    LinkDirectory directory = new LinkDirectory(vertx, store, addresses, lease, clock, verifyIdentity);
    directory.reloadGoals();
    return directory;
  }

  /**
   * Reads the goals (and the remembered addresses) from the store again (blocking): a controller just elected takes
   * the goals its predecessor set.
   */
  public void reloadGoals() {
    Map<String, Goal> goals = store.load();
    Map<String, AddressRecords.KnownNode> known = addresses.load();
    synchronized (lock) {
      goals.forEach((id, goal) -> record(id).goal = goal);
      known.forEach((id, kept) -> {
        NodeRecord node = record(id);
        if (node.session == null && node.hello.getHost().isEmpty()) {
          node.hello = kept.hello();
          node.status = node.status.toBuilder().setBootstrapSuperuser(kept.bootstrapSuperuser()).build();
        }
      });
    }
  }

  private Map<String, AddressRecords.KnownNode> knownAddresses() {
    Map<String, AddressRecords.KnownNode> known = new TreeMap<>();
    synchronized (lock) {
      nodes.forEach((id, n) -> {
        if (!n.hello.getHost().isEmpty()) {
          known.put(id, new AddressRecords.KnownNode(n.hello, n.status.getBootstrapSuperuser()));
        }
      });
    }
    return known;
  }

  /** Keeps the addresses (off the event loop; the latest, whichever save runs last). */
  private void keepAddresses(String nodeId) {
    vertx.executeBlocking(() -> {
      synchronized (addresses) {
        addresses.save(knownAddresses());
      }
      return null;
    }).onFailure(e -> LOG.warning("cannot keep where node " + nodeId + " listens (" + e.getMessage()
        + "); a restarted controller waits for its Hello"));
  }

  /** Whether every node holding a goal has an address (said Hello, now or to a predecessor). */
  public boolean addressesKnown() {
    synchronized (lock) {
      return nodes.values().stream().filter(n -> n.goal.getGeneration() > 0).noneMatch(n -> n.hello.getHost().isEmpty());
    }
  }

  public Duration lease() {
    return lease;
  }

  Instant now() {
    return clock.instant();
  }

  @Override
  public List<NodeView> all() {
    synchronized (lock) {
      return nodes.values().stream().map(NodeRecord::view).toList();
    }
  }

  @Override
  public Optional<NodeView> node(String nodeId) {
    synchronized (lock) {
      return Optional.ofNullable(nodes.get(nodeId)).map(NodeRecord::view);
    }
  }

  public int connectedCount() {
    synchronized (lock) {
      return (int) nodes.values().stream().filter(n -> n.session != null).count();
    }
  }

  @Override
  public Goal assign(String nodeId, Goal goal) {
    validate(nodeId, goal);
    synchronized (assignLock) {
      Goal current;
      long agentGeneration;
      synchronized (lock) {
        NodeRecord node = record(nodeId);
        current = node.goal;
        agentGeneration = node.hello.getCurrentGoal().getGeneration();
      }
      Goal wanted = goal.toBuilder().setGeneration(current.getGeneration()).build();
      if (current.getGeneration() > 0 && wanted.equals(current)) {
        return current;
      }
      Goal next = goal.toBuilder().setGeneration(Math.max(current.getGeneration(), agentGeneration) + 1).build();
      persistWith(nodeId, next);
      AgentSession session;
      Assignment assignment;
      synchronized (lock) {
        NodeRecord node = record(nodeId);
        node.goal = next;
        if (next.getState() != NodeState.PRIMARY) {
          node.leaseExpiresAt = null;
        }
        session = node.session;
        assignment = session == null ? null : assignmentFor(node, node.lastStatusAt);
      }
      LOG.info("goal for node " + nodeId + ": " + describe(next) + (session == null ? " (sent when it connects)" : ""));
      if (assignment != null) {
        session.send(ControllerMessage.newBuilder().setAssignment(assignment).build());
      }
      return next;
    }
  }

  @Override
  public Future<Status> statusNow(String nodeId, Duration timeout) {
    AgentSession session;
    synchronized (lock) {
      NodeRecord node = nodes.get(nodeId);
      session = node == null ? null : node.session;
    }
    if (session == null) {
      return Future.failedFuture("node " + nodeId + " is not connected");
    }
    return session.query(timeout);
  }

  /** A Hello arrived: accept the session (empty) or say why not. */
  Optional<String> attach(AgentSession session, Hello hello, Instant received) {
    String nodeId = hello.getNodeId();
    if (!AgentIdentity.validNodeId(nodeId)) {
      return Optional.of("node id '" + nodeId + "' is not valid: use lower-case letters, digits and '-'");
    }
    if (verifyIdentity) {
      String expected = AgentIdentity.commonNameFor(nodeId);
      String actual = session.certificateName().orElse("(none)");
      if (!expected.equals(actual)) {
        return Optional.of("node id '" + nodeId + "' does not match the client certificate: its CN is " + actual
            + ", expected " + expected + " (issue one with pgferry certs init DIR --agent " + nodeId + ")");
      }
    }
    session.accept();
    AgentSession superseded;
    Assignment assignment = null;
    Goal learned = null;
    boolean moved;
    synchronized (lock) {
      NodeRecord node = record(nodeId);
      superseded = node.session;
      node.session = session;
      moved = !AddressRecords.addressOf(node.hello).equals(AddressRecords.addressOf(hello));
      node.hello = hello;
      node.lastSeen = received;
      node.lastStatusAt = null;
      node.status = node.status.toBuilder().setState(hello.getCurrentState()).build();
      Goal held = hello.getCurrentGoal();
      if (held.getGeneration() > node.goal.getGeneration()) {
        learned = held;
        node.goal = held;
      } else if (node.goal.getGeneration() > 0 && node.goal.getState() != NodeState.PRIMARY) {
        // a PRIMARY goal goes out with its lease once the first Status arrives
        assignment = assignmentFor(node, null);
      }
    }
    LOG.info("link: node " + nodeId + " connected from " + session.peer() + session.certificateName().map(cn -> " (CN=" + cn + ")").orElse(""));
    if (superseded != null) {
      superseded.refuse("superseded by a newer link from node " + nodeId);
    }
    if (learned != null) {
      Goal adopted = learned;
      LOG.warning("link: node " + nodeId + " holds goal generation " + adopted.getGeneration()
          + ", newer than this controller's; adopting it: " + describe(adopted));
      vertx.executeBlocking(() -> {
        synchronized (assignLock) {
          persistWith(nodeId, adopted);
        }
        return null;
      }).onFailure(e -> LOG.severe("cannot persist the goal learned from node " + nodeId + ": " + e.getMessage()));
    }
    if (assignment != null) {
      session.send(ControllerMessage.newBuilder().setAssignment(assignment).build());
    }
    if (moved) {
      keepAddresses(nodeId);
    }
    return Optional.empty();
  }

  void onStatus(AgentSession session, Status status, Instant received) {
    Assignment renewal = null;
    boolean superuserChanged;
    synchronized (lock) {
      NodeRecord node = nodes.get(session.nodeId());
      if (node == null || node.session != session) {
        return;
      }
      superuserChanged = !status.getBootstrapSuperuser().isEmpty()
          && !status.getBootstrapSuperuser().equals(node.status.getBootstrapSuperuser());
      node.status = status;
      node.lastSeen = received;
      node.lastStatusAt = received;
      node.lastStatusSeq = status.getSeq();
      if (node.goal.getState() == NodeState.PRIMARY) {
        renewal = assignmentFor(node, received);
      }
    }
    if (renewal != null) {
      session.send(ControllerMessage.newBuilder().setAssignment(renewal).build());
    }
    if (superuserChanged) {
      keepAddresses(session.nodeId());
    }
  }

  void detach(AgentSession session, String reason) {
    synchronized (lock) {
      NodeRecord node = nodes.get(session.nodeId());
      if (node == null || node.session != session) {
        return;
      }
      node.session = null;
    }
    LOG.info("link: node " + session.nodeId() + " disconnected: " + reason);
  }

  /**
   * The Assignment to send now, under {@code lock}. A PRIMARY goal carries a lease against the last Status of the
   * current session, and its expiry is recorded; without such a Status a PRIMARY goal waits for the next one.
   */
  private Assignment assignmentFor(NodeRecord node, Instant statusReceived) {
    Assignment.Builder assignment = Assignment.newBuilder().setGoal(node.goal);
    if (node.goal.getState() == NodeState.PRIMARY) {
      if (statusReceived == null) {
        return null;
      }
      assignment.setLease(Lease.newBuilder().setStatusSeq(node.lastStatusSeq).setDurationMs(lease.toMillis()));
      node.leaseExpiresAt = statusReceived.plus(lease);
    }
    return assignment.build();
  }

  private void persistWith(String nodeId, Goal goal) {
    Map<String, Goal> goals = new TreeMap<>();
    synchronized (lock) {
      nodes.forEach((id, node) -> {
        if (node.goal.getGeneration() > 0) {
          goals.put(id, node.goal);
        }
      });
    }
    goals.put(nodeId, goal);
    store.save(goals);
  }

  private static void validate(String nodeId, Goal goal) {
    if (!AgentIdentity.validNodeId(nodeId)) {
      throw new UsageException("node id '" + nodeId + "' is not valid: use lower-case letters, digits and '-'");
    }
    if (!GOAL_STATES.contains(goal.getState())) {
      throw new UsageException("goal state " + goal.getState() + " cannot be assigned; use one of " + GOAL_STATES);
    }
    if (goal.getState() == NodeState.STREAMING_STANDBY && goal.getUpstream().getHost().isEmpty()) {
      throw new UsageException("goal STREAMING_STANDBY needs an upstream (host:port of the server to stream from)");
    }
  }

  private NodeRecord record(String nodeId) {
    return nodes.computeIfAbsent(nodeId, NodeRecord::new);
  }

  static String describe(Goal goal) {
    StringBuilder text = new StringBuilder(goal.getState().name()).append(" (generation ").append(goal.getGeneration()).append(')');
    if (goal.hasUpstream()) {
      text.append(" upstream ").append(goal.getUpstream().getHost()).append(':').append(goal.getUpstream().getPort());
    }
    return text.toString();
  }

  /** Guarded by {@code lock}. */
  private static final class NodeRecord {
    final String id;
    Hello hello = Hello.getDefaultInstance();
    Status status = Status.getDefaultInstance();
    Goal goal = Goal.getDefaultInstance();
    AgentSession session;
    Instant lastSeen;
    Instant lastStatusAt;
    long lastStatusSeq;
    Instant leaseExpiresAt;

    NodeRecord(String id) {
      this.id = id;
    }

    NodeView view() {
      return new NodeView(id, hello, status, goal, session != null, lastSeen, Optional.ofNullable(leaseExpiresAt));
    }
  }
}
