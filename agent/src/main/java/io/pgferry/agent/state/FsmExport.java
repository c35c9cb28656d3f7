package io.pgferry.agent.state;

import io.pgferry.proto.NodeState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The node state machine for people: the per-state traits and the transition table as a text table
 * (`pgferry-agent fsm list`) or a Graphviz digraph (`pgferry-agent fsm dot`), as `pg_autoctl do fsm list|gv`.
 */
public final class FsmExport {
  private FsmExport() {}

  public static String list(TransitionTable<?> table) {
    StringBuilder sb = new StringBuilder("STATES\n");
    List<List<String>> states = new ArrayList<>();
    states.add(NodeTraits.columns());
    for (NodeTraits t : NodeTraits.all()) {
      states.add(List.of(t.state().name(), yes(t.goal()), yes(t.pgRuns()), yes(t.keepDown()), yes(t.needsLease()), t.meaning()));
    }
    appendAligned(sb, states);
    sb.append("\nTRANSITIONS (first matching row wins)\n");
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("from", "to", "steps"));
    for (TransitionTable.Row<?> r : table.rows()) {
      rows.add(List.of(from(r), r.to().name(), r.comment()));
    }
    appendAligned(sb, rows);
    return sb.toString();
  }

  public static String dot(TransitionTable<?> table) {
    StringBuilder sb = new StringBuilder("digraph pgferry_agent_fsm {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (NodeTraits t : NodeTraits.all()) {
      if (t.goal() || t.state() == NodeState.EMPTY) {
        sb.append("  ").append(t.state().name()).append(" [tooltip=\"").append(escape(t.meaning())).append("\"")
            .append(t.goal() ? "" : ", style=\"rounded,dashed\"").append("];\n");
      }
    }
    for (TransitionTable.Row<?> r : table.rows()) {
      for (NodeState from : r.from()) {
        if (!NodeTraits.of(from).goal() && from != NodeState.EMPTY) {
          continue; // INITIALIZING, FAILED and UNSPECIFIED are reported, never persisted: no edge leaves them
        }
        sb.append("  ").append(from.name()).append(" -> ").append(r.to().name())
            .append(" [tooltip=\"").append(escape(r.comment())).append("\"];\n");
      }
    }
    return sb.append("}\n").toString();
  }

  private static String from(TransitionTable.Row<?> r) {
    if (r.from().containsAll(TransitionTable.any())) {
      return "any";
    }
    return r.from().stream().filter(s -> s != NodeState.NODE_STATE_UNSPECIFIED).map(NodeState::name).sorted()
        .collect(Collectors.joining(","));
  }

  private static String yes(boolean b) {
    return b ? "yes" : "-";
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static void appendAligned(StringBuilder sb, List<List<String>> rows) {
    int cols = rows.get(0).size();
    int[] width = new int[cols];
    for (List<String> r : rows) {
      for (int i = 0; i < cols - 1; i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    for (List<String> r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        String cell = r == rows.get(0) ? r.get(i).toUpperCase(Locale.ROOT) : r.get(i);
        line.append(i < cols - 1 ? String.format("%-" + width[i] + "s  ", cell) : cell);
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
  }
}
