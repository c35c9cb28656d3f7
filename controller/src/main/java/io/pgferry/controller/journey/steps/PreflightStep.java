package io.pgferry.controller.journey.steps;

import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.ArchiveInspector;
import io.pgferry.controller.journey.DatabaseProbe;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.JourneyPorts;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Preflight;
import io.pgferry.controller.journey.Preflight.Fact;
import io.pgferry.controller.journey.SourceDatabase;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.SecretCheck;
import io.pgferry.controller.sql.TypeUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Gathers every fact PREFLIGHT needs (read-only), then lets {@link Preflight} name all blockers at once. */
final class PreflightStep extends IdempotentStep {
  PreflightStep(List<String> description) {
    super(JourneyTable.PREFLIGHT_CHECKS, description);
  }

  @Override
  public StepResult run(StepContext ctx) throws JourneyException {
    Plan plan = ctx.plan();
    JourneyPorts ports = ctx.ports();
    ctx.progress("checking secrets, agents, source, archive and target");
    Preflight.Facts facts = new Preflight.Facts(
        Goals.node(ports.nodes(), plan.nodes().archiveReplica()),
        Goals.node(ports.nodes(), plan.nodes().standby()),
        plan.source().reachable() ? version(ports.source()) : Fact.of(0),
        backup(ports.archive(), plan.archive()),
        version(ports.target()),
        plan.source().reachable() ? typesUsed(ports.source()) : null);
    Preflight.Report report = Preflight.evaluate(plan, facts);
    List<String> blockers = new ArrayList<>();
    SecretCheck.problems(plan).forEach(p -> blockers.add(p.toString())); // never discovered mid-cutover
    blockers.addAll(report.blockers());
    if (!blockers.isEmpty()) {
      throw new JourneyException(blockers.size() + " blocker(s):\n  - " + String.join("\n  - ", blockers));
    }
    return new StepResult("all checks green: " + String.join("; ", report.notes()), Map.of());
  }

  private static Fact<Integer> version(DatabaseProbe probe) {
    try {
      return Fact.of(probe.serverVersionNum());
    } catch (Exception e) {
      return Fact.failed(e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  private static Fact<List<TypeUsage.UsedType>> typesUsed(SourceDatabase source) {
    try {
      return Fact.of(source.typesUsedByTables());
    } catch (Exception e) {
      return Fact.failed(e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  private static Fact<Optional<ArchiveInspector.Backup>> backup(ArchiveInspector inspector, Plan.Archive archive) {
    if (inspector == null) {
      return new Fact<>(null, null);
    }
    try {
      return Fact.of(inspector.latestBackup(archive));
    } catch (UnsupportedOperationException e) {
      return new Fact<>(null, null);
    } catch (Exception e) {
      return Fact.failed(e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }
}
