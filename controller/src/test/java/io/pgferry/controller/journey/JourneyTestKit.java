package io.pgferry.controller.journey;

import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.FileArchiveInspector;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

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
    return new JourneyService(dir.resolve("state"), nodes, JourneySteps.with(new JourneyWiring(p -> switcher,
        io.pgferry.controller.journey.wiring.SourceFence::new, new FileArchiveInspector())), Clock.systemUTC());
  }

  /** Writes a plan with a real archive directory; {@code timeoutLine} replaces one of the test plan's timeouts. */
  public Path writePlan(String targetUrl, String timeoutLine) throws Exception {
    Path archive = Files.createDirectories(dir.resolve("archive/basebackups_005"));
    Files.writeString(archive.resolve("base_000000010000000000000002_00000040_backup_stop_sentinel.json"),
        "{\"expanded_size_bytes\": 1000}");
    String text = TestPlans.TEXT.replace("file:///nonexistent/archive", "file://" + dir.resolve("archive"))
        .replace("postgres://app@127.0.0.1:1/appdb", targetUrl);
    String key = timeoutLine.substring(0, timeoutLine.indexOf(':'));
    text = text.replace(key + ": 5s", timeoutLine);
    if (!text.contains(timeoutLine)) {
      text = text.replace("timeouts: {", "timeouts: {" + timeoutLine + ", ");
    }
    return Files.writeString(dir.resolve("plan.yaml"), text);
  }
}
