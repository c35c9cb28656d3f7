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
 * can hold one kill per journey, hence two killed journeys. A third has a warm spare beside the controller
 * (`controller run --spare`, docs/ha.md "A warm spare", what the systemd units install): at each kill the spare takes
 * over, and the killed one is started again {@link #DOWN} later as the next spare.
 */
final class ControllerKills {
  static final Duration DOWN = Duration.ofSeconds(5);
  private static final Duration ALLOWANCE = Duration.ofSeconds(6);

  private ControllerKills() {}

  private record Kill(CrashPoint point, String downtime) {}

  private record KilledJourney(List<Kill> kills, boolean spare) {}

  static List<BenchRow> run() {
    JourneyResult baseline = journey("baseline", JourneyScenario.Options.wholeJourney());
    List<BenchRow> rows = new ArrayList<>();
    List<KilledJourney> journeys = List.of(
        new KilledJourney(List.of(new Kill(CrashPoint.CUTOVER_1, "cutover_1"), new Kill(CrashPoint.FAILOVER_LEASE, "failover"),
            new Kill(CrashPoint.CUTOVER_2_FENCED, "cutover_2")), false),
        new KilledJourney(List.of(new Kill(CrashPoint.PROMOTED, "cutover_1")), false),
        new KilledJourney(List.of(new Kill(CrashPoint.PROMOTED, "cutover_1"), new Kill(CrashPoint.FAILOVER_LEASE, "failover"),
            new Kill(CrashPoint.CUTOVER_2_FENCED, "cutover_2")), true));
    for (KilledJourney j : journeys) {
      JourneyScenario.Options options = JourneyScenario.Options.wholeJourney()
          .crashControllerAt(j.kills().stream().map(Kill::point).toArray(CrashPoint[]::new)).controllerDownFor(DOWN);
      JourneyResult r = journey((j.spare() ? "with a warm spare, " : "") + "kills at "
          + j.kills().stream().map(k -> k.point().step()).toList(), j.spare() ? options.withSpareController() : options);
      for (Kill k : j.kills()) {
        rows.add(row(k, j.spare(), r.downtime, baseline.downtime));
      }
    }
    return rows;
  }

  private static BenchRow row(Kill k, boolean spare, Map<String, Duration> killed, Map<String, Duration> undisturbed) {
    double gap = seconds(killed.get(k.downtime()));
    double base = seconds(undisturbed.get(k.downtime()));
    BenchRow r = BenchRow.of("write gap, controller killed " + (k.point().afterDone() ? "right after " : "during ")
        + k.point().step() + (spare ? " (a warm spare takes over; the killed one back " : " (down ") + DOWN.toSeconds()
        + " s" + (spare ? " later)" : ")"), gap, base, "s", k.downtime() + " undisturbed");
    boolean met = gap <= base + ALLOWANCE.toSeconds();
    return new BenchRow(r.measure(), r.pgferry(), r.baseline(), r.ratio(), (spare ? "embedded controller and its --spare"
        : "embedded controller, restarted with nothing else done") + "; goal <= baseline + " + ALLOWANCE.toSeconds()
        + " s: " + (met ? "met" : "MISSED"));
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
