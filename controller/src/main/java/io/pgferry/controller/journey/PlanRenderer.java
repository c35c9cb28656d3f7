package io.pgferry.controller.journey;

import io.pgferry.controller.pg.ConnectionRoles;
import io.pgferry.controller.pg.LinkTls;
import io.pgferry.controller.plan.FailsafeTimingCheck;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanProblem;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The text of `pgferry plan`: every phase of the table, and for each built step exactly what it will do. */
public final class PlanRenderer {
  private PlanRenderer() {}

  public static String render(String fileName, Plan plan, List<PlanProblem> warnings, Map<String, Step> steps,
                              String switchName) {
    StringBuilder out = new StringBuilder();
    out.append("pgferry plan ").append(fileName).append(" (describes only; nothing is touched)\n");
    out.append("  move: archive ").append(plan.archive().url()).append(" -> ")
        .append(plan.nodes().archiveReplica()).append(" (archive replica, then primary) -> ")
        .append(plan.nodes().standby()).append(" (streaming standby); app switch: ").append(switchName)
        .append("; durability: ").append(plan.durability().name().toLowerCase()).append("\n");
    out.append("  TLS on PostgreSQL links:\n");
    LinkTls.lines(plan).forEach(l -> out.append("    ").append(l).append("\n"));
    out.append("  roles (least privilege; a superuser only where PostgreSQL requires one, and why):\n");
    ConnectionRoles.lines(plan).forEach(l -> out.append("    ").append(l).append("\n"));
    for (PlanProblem w : warnings) {
      out.append("  ").append(w.format(fileName)).append("\n");
    }
    for (Phase phase : Phase.values()) {
      PhaseRule rule = JourneyTable.rule(phase);
      out.append("\n").append(phase).append("\n");
      out.append("  enter when: ").append(rule.entryCheck()).append("\n");
      if (plan.hold().stream().anyMatch(h -> h.name().equals(phase.name()))) {
        out.append("  held before it (plan hold:): `pgferry apply` waits here until `pgferry proceed [--at TIME]`,"
            + " showing these steps and the lag (`pgferry apply --no-hold`: no wait)\n");
      }
      if (phase == Phase.FAILOVER) {
        out.append("  reachable from: ").append(List.of(Phase.values()).stream()
            .filter(JourneyTable::failoverReachableFrom)
            .map(p -> p + JourneyTable.failoverClosedBy(p).map(id -> " (until " + id + " starts)").orElse(""))
            .collect(Collectors.joining(", "))).append("\n");
      }
      boolean built = rule.steps().stream().allMatch(steps::containsKey) && !rule.steps().isEmpty();
      if (!built && phase == Phase.FAILOVER) {
        out.append("  (not in this build)\n");
      } else if (!built && phase != Phase.DONE) {
        out.append("  (not in this build: the journey stops before this phase and `pgferry resume` continues it"
            + " once it is)\n");
      }
      appendSteps(out, rule, steps);
      rule.pointOfNoReturn().ifPresent(p -> out.append("  point of no return: ").append(p).append("\n"));
      if (rule.hasUndo()) {
        out.append("  on failure or abort before ").append(rule.pointOfNoReturn().orElse("the end"))
            .append(": ").append(rule.undoMeaning()).append("\n");
        for (String id : rule.undoSteps()) {
          Step step = steps.get(id);
          if (step != null) {
            appendStep(out, "undo " + id, step);
            out.append("       if it fails: ").append(rule.ifUndoFails().get(id)).append("\n");
          }
        }
      }
      if (phase == Phase.FAILOVER) {
        out.append("  failsafe timing (docs/failsafe.md):\n");
        FailsafeTimingCheck.lines(plan).forEach(l -> out.append("    ").append(l).append("\n"));
      }
      rule.noWayBack().ifPresent(s -> out.append("  on failure after that: ").append(s).append("\n"));
      out.append("  exit when: ").append(rule.exitCondition()).append("\n");
      if (phase != Phase.DONE) {
        out.append("  next: ").append(JourneyTable.describeNext(phase)).append("\n");
      }
    }
    PhaseRule finish = JourneyTable.FINISH;
    if (finish.steps().stream().allMatch(steps::containsKey)) {
      out.append("\n`pgferry finish` (after DONE, when asked)\n");
      appendSteps(out, finish, steps);
      out.append("  exit when: ").append(finish.exitCondition()).append("\n");
    }
    return out.toString();
  }

  /**
   * What {@code phase} will do, step by step, as `pgferry plan` shows it: the text the journey shows while it holds
   * before a cutover.
   */
  public static String renderPhase(Phase phase, Map<String, Step> steps) {
    StringBuilder out = new StringBuilder();
    PhaseRule rule = JourneyTable.rule(phase);
    appendSteps(out, rule, steps);
    rule.pointOfNoReturn().ifPresent(p -> out.append("  point of no return: ").append(p).append("\n"));
    return out.toString();
  }

  private static void appendSteps(StringBuilder out, PhaseRule rule, Map<String, Step> steps) {
    int n = 1;
    for (String id : rule.steps()) {
      Step step = steps.get(id);
      if (step == null) {
        continue;
      }
      appendStep(out, n++ + ". " + id + (rule.pointOfNoReturn().filter(id::equals).isPresent()
          ? "  [POINT OF NO RETURN]" : ""), step);
    }
  }

  private static void appendStep(StringBuilder out, String title, Step step) {
    out.append("  ").append(title).append(step.idempotent() ? "" : "  [not repeatable: checked after a restart]")
        .append("\n");
    for (String line : step.describe()) {
      out.append("       ").append(line).append("\n");
    }
  }
}
