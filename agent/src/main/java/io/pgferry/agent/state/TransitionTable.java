package io.pgferry.agent.state;

import io.pgferry.proto.NodeState;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The node state machine as data, pg_auto_failover style: rows of {from, to, comment, transition}; the first row
 * whose {@code from} holds the current state and whose {@code to} is the goal wins. {@code T} is what runs the
 * transition (a factory in the converger), so the table itself stays printable and testable.
 */
public final class TransitionTable<T> {
  public record Row<T>(Set<NodeState> from, NodeState to, String comment, T transition) {
    public Row {
      from = Set.copyOf(from);
    }

    public boolean matches(NodeState current, NodeState goal) {
      return to == goal && from.contains(current);
    }
  }

  private final List<Row<T>> rows;

  private TransitionTable(List<Row<T>> rows) {
    this.rows = List.copyOf(rows);
  }

  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  public Optional<Row<T>> find(NodeState current, NodeState goal) {
    return rows.stream().filter(r -> r.matches(current, goal)).findFirst();
  }

  public List<Row<T>> rows() {
    return rows;
  }

  /** One line per row, for `--help`-style listings and the status page. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Row<T> r : rows) {
      sb.append(r.from()).append(" -> ").append(r.to()).append(": ").append(r.comment()).append('\n');
    }
    return sb.toString();
  }

  public static final class Builder<T> {
    private final List<Row<T>> rows = new ArrayList<>();

    public Builder<T> row(Set<NodeState> from, NodeState to, String comment, T transition) {
      rows.add(new Row<>(from, to, comment, transition));
      return this;
    }

    /** Rows added by extensions (e.g. the archive engine) before the defaults, so they win. */
    public Builder<T> rowsFirst(List<Row<T>> extra) {
      rows.addAll(0, extra);
      return this;
    }

    public TransitionTable<T> build() {
      return new TransitionTable<>(rows);
    }
  }

  public static Set<NodeState> any() {
    return EnumSet.of(NodeState.EMPTY, NodeState.INITIALIZING, NodeState.ARCHIVE_REPLICA, NodeState.STREAMING_STANDBY,
        NodeState.PRIMARY, NodeState.FENCED, NodeState.STOPPED, NodeState.FAILED, NodeState.NODE_STATE_UNSPECIFIED);
  }
}
