package io.pgferry.controller.journey.wiring;

import io.pgferry.controller.journey.ArchiveInspector;
import io.pgferry.controller.journey.JourneyPorts;
import io.pgferry.controller.journey.WriteFence;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.switching.AppSwitcher;
import java.util.function.Function;

/**
 * Puts the journey's ports together from a plan. The switch and fence implementations are chosen by the factories
 * given; {@link #PLANNED_SWITCH} and {@link #PLANNED_FENCE} only describe (for builds without them).
 */
public final class JourneyWiring {
  public static final Function<Plan, AppSwitcher> PLANNED_SWITCH = plan -> new PlannedSwitcher(plan.switchSpec());
  public static final Function<Plan, WriteFence> PLANNED_FENCE = PlannedFence::new;

  private final Function<Plan, AppSwitcher> switches;
  private final Function<Plan, WriteFence> fences;
  private final ArchiveInspector archive;

  public JourneyWiring(Function<Plan, AppSwitcher> switches, Function<Plan, WriteFence> fences,
                       ArchiveInspector archive) {
    this.switches = switches;
    this.fences = fences;
    this.archive = archive;
  }

  /** What this build has: describe-only switch and fence until the switching and sql packages provide them. */
  public static JourneyWiring defaults() {
    return new JourneyWiring(PLANNED_SWITCH, PLANNED_FENCE, new FileArchiveInspector());
  }

  /** @param nodes null when only describing */
  public JourneyPorts ports(Plan plan, NodeDirectory nodes) {
    return new JourneyPorts(nodes, switches.apply(plan),
        plan.source().reachable() ? fences.apply(plan) : null,
        plan.source().reachable() ? new JdbcDatabase(plan.source().url(), "source") : null,
        new JdbcDatabase(plan.target().url(), "target"), archive);
  }
}
