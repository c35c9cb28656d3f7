package io.pgferry.e2e.bench;

import io.pgferry.common.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** ./bench: every row measured side by side with its baseline in the same run; prints a table and writes docs/bench-results.md. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure pgferry beside its baselines and print one table.")
public final class Bench implements Callable<Integer> {
  @Option(names = "--only", split = ",", description = "cases to run: ${COMPLETION-CANDIDATES} (default: all)")
  Set<Case> only = Set.of(Case.values());

  @Option(names = "--runs", description = "repetitions for medians, e.g. whole journeys for cutover 1/2 and failover (default: ${DEFAULT-VALUE})")
  int runs = 5; // the issues ask for medians of 5 (cutover 2 downtime, failover time)

  @Option(names = "--out", description = "markdown results file (default: ${DEFAULT-VALUE})")
  Path out = Path.of("docs/bench-results.md");

  enum Case { journey, agent, controller, kills, ha, applylag }

  public static void main(String[] args) {
    System.exit(Cli.execute(new Bench(), args));
  }

  @Override
  public Integer call() throws Exception {
    List<BenchRow> rows = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (Case c : Case.values()) {
      if (!only.contains(c)) {
        continue;
      }
      System.err.println("bench: running " + c + " ...");
      try {
        rows.addAll(switch (c) {
          case journey -> JourneyTimes.run(runs);
          case agent -> AgentFootprint.run(runs);
          case controller -> ControllerLoad.run(200, Duration.ofSeconds(20));
          case kills -> ControllerKills.run();
          case ha -> LeaderTakeover.run(runs);
          case applylag -> ApplyLag.run();
        });
      } catch (Exception e) {
        failures.add(c + ": " + e.getMessage());
        System.err.println("bench: " + c + " failed: " + e.getMessage());
      }
    }
    String table = table(rows);
    System.out.print(table);
    failures.forEach(f -> System.out.println("FAILED " + f));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, "# pgferry benchmarks\n\nRun " + Instant.now() + " on " + machine() + ".\n\n" + table
        + (failures.isEmpty() ? "" : "\nFailed cases:\n" + String.join("\n", failures) + "\n"));
    return failures.isEmpty() ? 0 : 1;
  }

  static String table(List<BenchRow> rows) {
    StringBuilder sb = new StringBuilder("| measure | pgferry | baseline (same run) | ratio | note |\n|---|---|---|---|---|\n");
    for (BenchRow r : rows) {
      sb.append("| ").append(r.measure()).append(" | ").append(r.pgferry()).append(" | ").append(r.baseline()).append(" | ")
          .append(r.ratio()).append(" | ").append(r.note()).append(" |\n");
    }
    return sb.toString();
  }

  private static String machine() {
    try {
      String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
      return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + Runtime.getRuntime().maxMemory() / 1048576 + " MiB max heap";
    } catch (Exception e) {
      return "unknown machine";
    }
  }
}
