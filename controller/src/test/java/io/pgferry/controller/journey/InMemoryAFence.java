package io.pgferry.controller.journey;

import io.pgferry.common.Lsn;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.ArchiveStoreInspector;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.journey.wiring.PlanSwitches;
import io.pgferry.controller.journey.wiring.SourceFence;
import io.pgferry.controller.plan.Plan;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The real source fence for tests whose A is the in-memory double: A has no database, so lifting the fence A
 * inherited is recorded instead of done (e2e's JourneyIT proves it on a real A).
 */
final class InMemoryAFence implements WriteFence {
  private final SourceFence real;
  final List<String> liftedOnCopies = new CopyOnWriteArrayList<>();

  InMemoryAFence(Plan plan) {
    this.real = new SourceFence(plan);
  }

  /** JourneyWiring.live with this fence. */
  static JourneyAssembly live(Path stateDir) {
    return JourneySteps.with(new JourneyWiring(plan -> PlanSwitches.create(plan, stateDir), InMemoryAFence::new,
        new ArchiveStoreInspector(), InMemoryNodeDirectory.CLEAN_COLLATION));
  }

  @Override
  public Lsn fence() throws Exception {
    return real.fence();
  }

  @Override
  public void lift() throws Exception {
    real.lift();
  }

  @Override
  public boolean isFenced() throws Exception {
    return real.isFenced();
  }

  @Override
  public void liftOnCopy(String host, int port) {
    liftedOnCopies.add(host + ":" + port);
  }

  @Override
  public List<String> describeFence() {
    return real.describeFence();
  }

  @Override
  public List<String> describeLift() {
    return real.describeLift();
  }
}
