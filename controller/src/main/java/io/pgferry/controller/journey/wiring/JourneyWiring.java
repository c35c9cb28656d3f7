package io.pgferry.controller.journey.wiring;

import io.pgferry.controller.journey.ArchiveInspector;
import io.pgferry.controller.journey.CollationProbe;
import io.pgferry.controller.journey.JourneyPorts;
import io.pgferry.controller.journey.WriteFence;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.pg.LinkTls;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.switching.AppSwitcher;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Puts the journey's ports together from a plan. The switch and fence implementations are chosen by the factories
 * given: {@link #live} for real runs; tests pass their own (e.g. a switch that records its calls).
 */
public final class JourneyWiring {

  private final Function<Plan, AppSwitcher> switches;
  private final Function<Plan, WriteFence> fences;
  private final ArchiveInspector archive;
  private final CollationProbe collation;

  public JourneyWiring(Function<Plan, AppSwitcher> switches, Function<Plan, WriteFence> fences,
                       ArchiveInspector archive) {
    this(switches, fences, archive, CollationProbe.JDBC);
  }

  public JourneyWiring(Function<Plan, AppSwitcher> switches, Function<Plan, WriteFence> fences,
                       ArchiveInspector archive, CollationProbe collation) {
    this.switches = switches;
    this.fences = fences;
    this.archive = archive;
    this.collation = collation;
  }

  /** The real switch (io.pgferry.controller.switching) and fence (io.pgferry.controller.sql.DatabaseFence). */
  public static JourneyWiring live(Path stateDir) {
    return new JourneyWiring(plan -> PlanSwitches.create(plan, stateDir), SourceFence::new, new ArchiveStoreInspector());
  }

  /** For `pgferry plan`: the same classes (describing touches nothing). */
  public static JourneyWiring defaults() {
    return live(Path.of("<state_dir>")); // only shown, never written: describing touches nothing
  }

  /** @param nodes null when only describing */
  public JourneyPorts ports(Plan plan, NodeDirectory nodes) {
    return new JourneyPorts(nodes, switches.apply(plan),
        plan.source().reachable() ? fences.apply(plan) : null,
        plan.source().reachable() ? new JdbcDatabase(plan.source().url(), "source", plan.connectionLimits(),
            LinkTls.source(plan)) : null,
        new JdbcDatabase(plan.target().url(), "target", plan.connectionLimits(), LinkTls.target(plan)), archive,
        collation);
  }
}
