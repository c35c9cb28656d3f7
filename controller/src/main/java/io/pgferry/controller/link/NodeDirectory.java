package io.pgferry.controller.link;

import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.Status;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The controller's view of its agents: who is connected, what each last reported, and the goal each holds.
 * Implemented by the link server; the journey engine and the CLI API read and assign through it.
 */
public interface NodeDirectory {

  List<NodeView> all();

  Optional<NodeView> node(String nodeId);

  /**
   * Assigns a goal (the directory sets the generation, persists it, and sends it now if the node is connected,
   * otherwise when it connects). Assigning the goal a node already holds is a no-op that returns it unchanged.
   */
  Goal assign(String nodeId, Goal goal);

  /** Asks the agent for a fresh Status over the link (a one-shot query, never a long call). */
  Future<Status> statusNow(String nodeId, Duration timeout);

  /** {@code lastSeen} is null for a node not heard from since the controller started (known only by its goal). */
  record NodeView(String nodeId, Hello hello, Status status, Goal goal, boolean connected, Instant lastSeen,
                  Optional<Instant> leaseExpiresAt) {}
}
