package io.pgferry.controller.loop;

import io.pgferry.controller.failover.FailureDetector;
import java.util.Map;
import java.util.Optional;

/**
 * What one cycle of the {@link ControllerLoop} decided: an action and why, in a sentence a person (and a test) reads.
 * {@code node} names the node a REBUILD is for; {@code verdicts} are the failure detector's verdicts this cycle (by
 * "primary", "standby" or a replica's node id), which the loop logs and journals when they change.
 */
public record Decision(Action action, String why, Map<String, String> evidence, Optional<String> node,
                       Map<String, FailureDetector.Verdict> verdicts) {
  public enum Action {
    /** Nothing to decide: not the leader, no plan, no journey running. */
    NOTHING,
    /** A long action (a phase's steps, a failover hand-over) runs off the loop; the loop waits for it. */
    IN_PROGRESS,
    /** The nodes were looked at and nothing is to be done (healthy, or suspect but not yet failed). */
    WATCH,
    /** Stop the journey at its next safe point (`pgferry abort`). */
    STOP,
    /** Enter FAILOVER (A failed, or `pgferry failover`). */
    FAILOVER,
    /** A node lost before cutover 1: rebuild it, back to the phase that builds it. */
    REBUILD,
    /** Durability sync: B lost, A stops waiting for it. */
    DURABILITY_ASYNC,
    /** Durability sync: B streams, A waits for it again. */
    DURABILITY_SYNC
  }

  public Decision {
    evidence = Map.copyOf(evidence);
    verdicts = Map.copyOf(verdicts);
  }

  static Decision of(Action action, String why) {
    return new Decision(action, why, Map.of(), Optional.empty(), Map.of());
  }

  Decision seeing(Map<String, FailureDetector.Verdict> seen) {
    return new Decision(action, why, evidence, node, seen);
  }

  /** "FAILOVER: automatic failover: a failed: ..." */
  public String sentence() {
    return action + ": " + why;
  }
}
