package io.pgferry.controller.journey;

import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.plan.Plan;
import java.util.Map;

/**
 * Puts a journey together from its plan: the ports it acts on and the steps of every phase. The engine and the
 * service reach the packages that build them (journey.wiring, journey.steps) only through this interface, since
 * those depend on this package (docs/journey.md, "The package rule").
 */
public interface JourneyAssembly {
  /** @param nodes null when only describing (`pgferry plan`) */
  JourneyPorts ports(Plan plan, NodeDirectory nodes);

  /** Every step by id, each able to describe itself; the journey table says which phase runs which. */
  Map<String, Step> steps(Plan plan, JourneyPorts ports);

  /** Lag probes shown while the journey holds before a cutover. */
  default Map<Phase, HoldProbe> holdProbes(Plan plan, JourneyPorts ports) {
    return Map.of();
  }
}
