package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.e2e.scenario.ScenarioFailure;
import io.pgferry.testkit.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Runs a scenario in its own workspace for a test, turning a failed stage into an assertion with the log's tail. */
final class ScenarioRuns {
  private ScenarioRuns() {}

  static JourneyResult run(String name, JourneyScenario.Options options) {
    return run(name, options, s -> { }, r -> { });
  }

  /** What a test checks in the run's files (logs) before its workspace is deleted. */
  interface FilesCheck {
    void check(JourneyResult r) throws Exception;
  }

  /**
   * {@code setup} adds hooks (events during the journey) to the scenario before it runs; {@code files} runs after
   * it, while its workspace still exists.
   */
  static JourneyResult run(String name, JourneyScenario.Options options, Consumer<JourneyScenario> setup,
                           FilesCheck files) {
    try (Workspace ws = Workspace.create(name);
         JourneyScenario scenario = new JourneyScenario(ws, options, line -> System.out.println(name + ": " + line))) {
      setup.accept(scenario);
      try {
        JourneyResult r = scenario.run();
        Duration c1 = r.downtime.get("cutover_1");
        System.out.printf("%s: cutover 1 write downtime %.2f s; ledger %d acknowledged, %d lost, %d duplicated; phases %s%n",
            name, c1 == null ? -1 : c1.toNanos() / 1e9, r.ledger.acknowledged(), r.ledger.lost(), r.ledger.duplicated(),
            r.phases.stream().filter(p -> p.seconds() != null).map(p -> p.name() + " " + p.seconds() + " s").toList());
        keepLogs(name, r);
        try {
          files.check(r);
        } catch (Exception e) {
          throw new AssertionError(name + ": " + e, e);
        }
        return r;
      } catch (ScenarioFailure f) {
        keepLogs(name, ws.root().resolve("logs"));
        throw new AssertionError(name + ": stage " + f.stage() + " failed: " + f.getMessage() + "\n--- " + f.log() + "\n"
            + tail(f.log()) + "\n--- controller.log\n" + tail(ws.root().resolve("logs/controller.log"))
            + "\n--- agent-a.log\n" + tail(ws.root().resolve("logs/agent-a.log"))
            // PostgreSQL's side of a stuck table sync or apply (T's workers, the publisher's walsenders)
            + "\n--- target.log\n" + tail(ws.root().resolve("target.log")) + "\n--- b.log\n" + tail(ws.root().resolve("b.log")), f);
      }
    }
  }

  /** The invariants every run must show: the app on A, nothing lost or doubled, B streaming from A on A's timeline. */
  static void assertCleanCutover(JourneyResult r) {
    assertTrue(r.problems().isEmpty(), String.join("\n", r.problems()));
    assertEquals(0, r.ledger.lost(), "lost");
    assertEquals(0, r.ledger.duplicated(), "duplicated");
    assertTrue(r.acknowledgedAfterCutover1 > 0, "the app writes to a after cutover 1");
    assertTrue(r.topology.aTimeline() > r.topology.sourceTimeline(), "a on a new timeline: " + r.topology);
    assertEquals(r.topology.aTimeline(), r.topology.bTimeline(), "b on a's timeline: " + r.topology);
    assertEquals("streaming", r.topology.bWalReceiver(), r.topology.toString());
    assertTrue(r.topology.replicationOnA() != null && r.topology.replicationOnA().startsWith("pgferry_b streaming"),
        "a's pg_stat_replication: " + r.topology.replicationOnA());
    assertEquals(r.topology.rowsOnA(), r.topology.rowsOnB(), "b holds what a holds");
    assertTrue(r.downtime.containsKey("cutover_1"), "cutover 1 downtime measured");
    assertTrue(r.phaseDone("PREFLIGHT") && r.phaseDone("ARCHIVE_REPLICA") && r.phaseDone("STANDBY"), r.phases.toString());
  }

  /** Journal lines of one event for one step. */
  static List<JournalFile.Entry> events(JourneyResult r, String event, String step) {
    return r.journal.stream().filter(e -> e.is(event, step)).toList();
  }

  /**
   * With PGFERRY_KEEP_LOGS=DIR the run's logs and journal (one line per record) are copied to DIR/NAME before the
   * workspace is deleted: what happened in a run that passed but took long.
   */
  private static void keepLogs(String name, JourneyResult r) {
    Path to = keepLogs(name, r.logs);
    if (to == null) {
      return;
    }
    try {
      Files.write(to.resolve("journal.txt"), r.journal.stream().map(e -> "#" + e.seq() + " " + e.at() + " " + e.event() + " "
          + (e.step() != null ? e.step() : e.phase() == null ? "" : e.phase()) + (e.message() == null ? "" : " " + e.message())).toList());
    } catch (IOException e) {
      System.out.println(name + ": journal not kept: " + e);
    }
  }

  /** The log files of {@code logsDir} copied to PGFERRY_KEEP_LOGS/NAME (also for a run that failed); null: not kept. */
  private static Path keepLogs(String name, Path logsDir) {
    String dir = System.getenv("PGFERRY_KEEP_LOGS");
    if (dir == null || dir.isBlank() || !Files.isDirectory(logsDir)) {
      return null;
    }
    Path to = Path.of(dir, name);
    try (Stream<Path> logs = Files.list(logsDir)) {
      Files.createDirectories(to);
      for (Path log : logs.filter(Files::isRegularFile).toList()) {
        Files.copy(log, to.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
      return to;
    } catch (IOException e) {
      System.out.println(name + ": logs not kept: " + e);
      return null;
    }
  }

  /** The journal's breaches of "never done twice": a step started again after it was done, or done twice. */
  static List<String> stepsRunAgainAfterDone(JourneyResult r) {
    List<String> violations = new ArrayList<>();
    Set<String> done = new LinkedHashSet<>();
    for (JournalFile.Entry e : r.journal) {
      if (e.step() == null) {
        continue;
      }
      if (e.event().equals("STEP_STARTED") && done.contains(e.step())) {
        violations.add("#" + e.seq() + " " + e.step() + " started again after it was done");
      }
      if (e.event().equals("STEP_DONE") && !done.add(e.step())) {
        violations.add("#" + e.seq() + " " + e.step() + " done twice");
      }
    }
    return violations;
  }

  private static String tail(Path log) {
    try (Stream<String> lines = Files.lines(log)) {
      // PostgreSQL's per-connection lines would fill the tail
      List<String> all = lines.filter(l -> !l.contains(" LOG:  connection ") && !l.contains(" LOG:  disconnection: ")).toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
    } catch (Exception e) {
      return "(" + log + " unreadable: " + e.getMessage() + ")";
    }
  }
}
