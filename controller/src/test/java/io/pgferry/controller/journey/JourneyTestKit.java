package io.pgferry.controller.journey;

import io.pgferry.controller.journey.wiring.SourceFence;
import io.pgferry.controller.store.FileStore;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.ArchiveStoreInspector;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** A journey service over the in-memory node double and a recording switch, for API and CLI tests. */
public final class JourneyTestKit {
  public final InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.5", 5432, 15)
      .add("b", "10.0.0.6", 5432, 15);
  public final RecordingSwitcher switcher = new RecordingSwitcher();
  private final Path dir;

  public JourneyTestKit(Path dir) {
    this.dir = dir;
  }

  public JourneyService service() {
    return new JourneyService(new FileStore(dir.resolve("state")), nodes, JourneySteps.with(new JourneyWiring(p -> switcher,
        SourceFence::new, new ArchiveStoreInspector(), InMemoryNodeDirectory.CLEAN_COLLATION)), Clock.systemUTC());
  }

  /** Writes a plan with a real archive directory and {@code timeout} for {@code phase}. */
  public Path writePlan(String targetUrl, PlanBuilder.PhaseTimeout phase, Duration timeout) {
    return TestPlans.engine().archiveDir(FakeArchive.withBackup(dir.resolve("archive"), "{\"expanded_size_bytes\": 1000}")).target(targetUrl).timeout(phase, timeout)
        .writeTo(dir.resolve("plan.yaml"));
  }
}
