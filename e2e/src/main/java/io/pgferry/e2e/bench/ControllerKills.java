package io.pgferry.e2e.bench;

import io.pgferry.e2e.scenario.CrashPoint;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.testkit.Workspace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issue #17's write gap at a controller kill, per phase, embedded mode: the demo's whole journey once undisturbed
 * (the baseline) and twice with kill -9 of the controller at points of cutover 1, the failover and cutover 2, the
 * controller down {@link #DOWN} each time and then restarted with nothing else done (it resumes by itself). A phase
 * can hold one kill per journey, hence two killed journeys.
 */
final class ControllerKills {
  static final Duration DOWN = Duration.ofSeconds(5);
  private static final Duration ALLOWANCE = Duration.ofSeconds(6);

  private ControllerKills() {}

  private record Kill(CrashPoint point, String downtime) {}

  static List<BenchRow> run() {
    JourneyResult baseline = journey("baseline", JourneyScenario.Options.wholeJourney());
    List<BenchRow> rows = new ArrayList<>();
    List<List<Kill>> journeys = List.of(
        List.of(new Kill(CrashPoint.CUTOVER_1, "cutover_1"), new Kill(CrashPoint.FAILOVER_LEASE, "failover"),
            new Kill(CrashPoint.CUTOVER_2_FENCED, "cutover_2")),
        List.of(new Kill(CrashPoint.PROMOTED, "cutover_1")));
    for (List<Kill> kills : journeys) {
      JourneyResult r = journey("kills at " + kills.stream().map(k -> k.point().step()).toList(), JourneyScenario.Options.wholeJourney()
          .crashControllerAt(kills.stream().map(Kill::point).toArray(CrashPoint[]::new)).controllerDownFor(DOWN));
      for (Kill k : kills) {
        rows.add(row(k, r.downtime, baseline.downtime));
      }
    }
    return rows;
  }

  private static BenchRow row(Kill k, Map<String, Duration> killed, Map<String, Duration> undisturbed) {
    double gap = seconds(killed.get(k.downtime()));
    double base = seconds(undisturbed.get(k.downtime()));
    BenchRow r = BenchRow.of("write gap, controller killed " + (k.point().afterDone() ? "right after " : "during ")
        + k.point().step() + " (down " + DOWN.toSeconds() + " s)", gap, base, "s", k.downtime() + " undisturbed");
    boolean met = gap <= base + ALLOWANCE.toSeconds();
    return new BenchRow(r.measure(), r.pgferry(), r.baseline(), r.ratio(), "embedded controller, restarted with nothing else done;"
        + " goal <= baseline + " + ALLOWANCE.toSeconds() + " s: " + (met ? "met" : "MISSED"));
  }

  private static JourneyResult journey(String what, JourneyScenario.Options options) {
    System.err.println("bench: journey (" + what + ") ...");
    try (Workspace ws = Workspace.create("bench-kills"); JourneyScenario scenario = new JourneyScenario(ws, options, line -> { })) {
      JourneyResult r = scenario.run();
      if (!r.problems().isEmpty()) {
        throw new IllegalStateException("journey (" + what + "): " + String.join("; ", r.problems()));
      }
      return r;
    }
  }

  private static double seconds(Duration d) {
    return d == null ? Double.NaN : d.toMillis() / 1000.0;
  }
}
