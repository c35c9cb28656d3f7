package io.pgferry.agent.state;

import io.pgferry.proto.NodeState;
import java.util.Arrays;
import java.util.List;

/**
 * What each node state means to the agent, in one table (the converger's reconcile, /health, the slot guard, the
 * lease keeper and `pgferry-agent fsm list` all read it here).
 *
 * @param state      the node state
 * @param goal       a goal may name it (the controller assigns only these; the others are only reported)
 * @param pgRuns     PostgreSQL runs once the node reached it: a converged node found stopped is started again
 * @param keepDown   PostgreSQL stays down once reached: a converged node found running is stopped again
 * @param needsLease reaching and holding it needs a valid lease when goals come from the controller
 * @param meaning    one line for people
 */
public record NodeTraits(NodeState state, boolean goal, boolean pgRuns, boolean keepDown, boolean needsLease, String meaning) {
  private static final List<NodeTraits> TABLE = List.of(
      new NodeTraits(NodeState.EMPTY, false, false, false, false, "no cluster in the data dir"),
      new NodeTraits(NodeState.INITIALIZING, false, false, false, false, "reported while a transition runs"),
      new NodeTraits(NodeState.ARCHIVE_REPLICA, true, true, false, false, "replays WAL from the archive (restore_command = wal-fetch)"),
      new NodeTraits(NodeState.STREAMING_STANDBY, true, true, false, false, "streams WAL from its upstream"),
      new NodeTraits(NodeState.PRIMARY, true, true, false, true, "accepts writes while its lease is valid; fences itself when it lapses"),
      new NodeTraits(NodeState.FENCED, true, false, true, false, "stopped; not started again until a newer goal (or a lease renewal)"),
      new NodeTraits(NodeState.STOPPED, true, false, true, false, "stopped on purpose (pg_ctl stop -m fast)"),
      new NodeTraits(NodeState.FAILED, false, false, false, false, "reported while the last transition failed (Status.last_error)"));

  /** Every state, in the order of the table. */
  public static List<NodeTraits> all() {
    return TABLE;
  }

  /** The traits of {@code state}; UNSPECIFIED (no state persisted yet) has none of them. */
  public static NodeTraits of(NodeState state) {
    return TABLE.stream().filter(t -> t.state == state).findFirst()
        .orElse(new NodeTraits(state, false, false, false, false, "unknown"));
  }

  /** The states a goal may name. */
  public static List<NodeState> goalStates() {
    return TABLE.stream().filter(NodeTraits::goal).map(NodeTraits::state).toList();
  }

  /** The column heads of {@link #toString()}-style listings (`pgferry-agent fsm list`). */
  public static List<String> columns() {
    return Arrays.asList("state", "goal", "pg runs", "keep down", "needs lease", "meaning");
  }
}
