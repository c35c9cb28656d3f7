package io.pgferry.controller.journey;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pgferry.controller.sql.copy.CopyMetrics;
import io.pgferry.controller.sql.logical.LogicalMetrics;

/** {@code pgferry_phase{phase}}: 1 for the phase the journey is in, 0 for the others; and the logical sync gauges. */
public final class JourneyMetrics {
  private JourneyMetrics() {}

  public static void bind(MeterRegistry registry, JourneyService service) {
    for (Phase p : Phase.values()) {
      Gauge.builder("pgferry_phase", service, s -> s.currentPhase().filter(p::equals).isPresent() ? 1 : 0)
          .description("1 for the journey's current phase").tag("phase", p.name()).register(registry);
    }
    LogicalMetrics.bind(registry);
    CopyMetrics.bind(registry);
  }
}
