package io.pgferry.controller.journey.steps;

import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A node's view with a Status asked for now over the link, for the waits of a cutover (the periodic Status can be
 * a second old, and every second of a cutover is downtime). Falls back to the last Status when the query fails.
 */
final class FreshStatus {
  private static final Duration ASK = Duration.ofSeconds(2);

  private FreshStatus() {}

  static Optional<NodeView> of(NodeDirectory nodes, String id) {
    Optional<NodeView> last = nodes.node(id);
    if (last.isEmpty() || !last.get().connected()) {
      return last;
    }
    try {
      Status now = nodes.statusNow(id, ASK).toCompletionStage().toCompletableFuture()
          .get(ASK.toMillis() + 500, TimeUnit.MILLISECONDS);
      NodeView v = last.get();
      return Optional.of(new NodeView(v.nodeId(), v.hello(), now, v.goal(), v.connected(), v.lastSeen(),
          v.leaseExpiresAt()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return last;
    } catch (Exception e) {
      return last;
    }
  }
}
