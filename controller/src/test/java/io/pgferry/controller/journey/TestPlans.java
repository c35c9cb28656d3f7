package io.pgferry.controller.journey;

import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.testkit.plan.PlanBuilder;
import io.pgferry.testkit.plan.PlanBuilder.PhaseTimeout;
import java.time.Duration;

/** Plans for engine tests: no source URL (so no database is involved), fast polling. */
final class TestPlans {
  static final String TEXT = engine().yaml();

  private TestPlans() {}

  /** The engine tests' plan, to change before {@link PlanBuilder#yaml()}. */
  static PlanBuilder engine() {
    Duration fiveSeconds = Duration.ofSeconds(5);
    return PlanBuilder.plan().archiveTimeout(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
        .timeout(PhaseTimeout.ARCHIVE_REPLICA, fiveSeconds).timeout(PhaseTimeout.STANDBY, fiveSeconds).timeout(PhaseTimeout.CUTOVER_1, fiveSeconds);
  }

  static PlanLoader.Loaded load(String text) {
    return PlanLoader.parse("plan.yaml", text, null);
  }
}
