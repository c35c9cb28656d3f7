package io.pgferry.agent.link;

import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.Status;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the agent core offers the link to the controller. {@code LinkClient} dials the controller, sends
 * {@link #hello()} on every (re)connect, a {@link #status()} every second and whenever the core calls
 * {@code LinkClient.statusChanged()}, answers StatusNow after {@link #observeNow()}, and delivers assignments here. Called on a Vert.x event loop: implementations
 * must return at once (no JDBC, no processes).
 */
public interface LinkHandler {
  Hello hello();

  /** A snapshot of the node's status; the link stamps seq and sent_at. */
  Status status();

  /**
   * Observe the node now, for the controller's StatusNow (it waits on this node, e.g. in a cutover, where every
   * second is downtime); completes once {@link #status()} holds that observation. Off the event loop.
   */
  default CompletionStage<Void> observeNow() {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * A goal from the controller, with the lease's expiry on the {@link System#nanoTime()} clock when the goal
   * carries one (computed from when the agent sent the Status the lease was granted against).
   */
  void onAssignment(Goal goal, OptionalLong leaseExpiresAtNanos);

  /** The link came up or went down (for metrics, and for lease bookkeeping). */
  default void onLinkState(boolean connected) {}
}
