package io.pgferry.e2e.bench;

import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.testkit.Workspace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The write downtimes of the whole journey, from N runs of the demo's journey (PG 15, the ledger through PgBouncer,
 * a killed during LOGICAL_SYNC): cutover 2 beside cutover 1, the failover (kill -9 -> first commit), and where the
 * time goes: cutover 2's block -> unblock by step, the failover by part, both from the controller's journal.
 */
final class JourneyTimes {
  private JourneyTimes() {}

  static List<BenchRow> run(int runs) {
    List<Double> c1 = new ArrayList<>();
    List<Double> c2 = new ArrayList<>();
    List<Double> failover = new ArrayList<>();
    Map<String, List<Double>> c2Steps = new LinkedHashMap<>();
    Map<String, List<Double>> failoverParts = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      System.err.println("bench: journey " + i + " of " + runs + " ...");
      try (Workspace ws = Workspace.create("bench-journey");
           JourneyScenario scenario = new JourneyScenario(ws, JourneyScenario.Options.wholeJourney(), line -> { })) {
        JourneyResult r = scenario.run();
        if (!r.problems().isEmpty()) {
          failures.add("run " + i + ": " + String.join("; ", r.problems()));
          continue;
        }
        add(c1, r.downtime.get("cutover_1"));
        add(c2, r.downtime.get("cutover_2"));
        add(failover, r.downtime.get("failover"));
        r.cutover2Steps.forEach((step, d) -> add(c2Steps.computeIfAbsent(step, k -> new ArrayList<>()), d));
        r.failoverSplit.forEach((part, d) -> add(failoverParts.computeIfAbsent(part, k -> new ArrayList<>()), d));
        System.err.printf("bench: journey %d: cutover 1 %.2f s, failover %.2f s (%s), cutover 2 %.2f s%n", i, last(c1),
            last(failover), JourneyResult.durationsLine(r.failoverSplit), last(c2));
      } catch (RuntimeException e) {
        failures.add("run " + i + ": " + e.getMessage());
      }
    }
    if (c2.isEmpty()) {
      throw new IllegalStateException("no journey finished cleanly: " + failures);
    }
    List<Double> c1Superuser = superuserCutover1(runs, failures);
    String n = "median of " + c2.size() + " journeys" + (failures.isEmpty() ? "" : " (" + failures.size() + " failed: " + failures + ")");
    List<BenchRow> rows = new ArrayList<>();
    BenchRow c2Row = BenchRow.of("cutover 2 write downtime through PgBouncer (-> T)", Medians.of(c2), Medians.of(c1), "s",
        "cutover 1, same journeys");
    rows.add(new BenchRow(c2Row.measure(), c2Row.pgferry(), c2Row.baseline(), c2Row.ratio(), n + "; c2 " + Medians.spread(c2)
        + ", c1 " + Medians.spread(c1) + "; goal c2 < 2 s"));
    BenchRow c1Row = BenchRow.of("cutover 1 write downtime, source role without superuser (archive_timeout 60 s)",
        Medians.of(c1), c1Superuser.isEmpty() ? Double.NaN : Medians.of(c1Superuser), "s", "superuser: pg_switch_wal()");
    rows.add(new BenchRow(c1Row.measure(), c1Row.pgferry(), c1Row.baseline(), c1Row.ratio(), n + " (segment filled by"
        + " pgferry's session); baseline: median of " + c1Superuser.size() + " journeys to cutover 1 given the superuser; "
        + Medians.spread(c1) + "; goal < 5 s"));
    rows.add(BenchRow.single("cutover 2 block -> unblock, by step", median(c2Steps.get("total")), "s",
        n + ": " + medians(c2Steps, "total")));
    rows.add(BenchRow.single("failover time (kill -9 of a -> first commit through PgBouncer on b)", Medians.of(failover), "s",
        n + ": " + medians(failoverParts, null) + "; " + Medians.spread(failover) + "; detect_after 3 s, max_lease 4 s, goal <= 10 s"));
    return rows;
  }

  /** Cutover 1 alone with pgferry given the superuser: the last segment closed by pg_switch_wal(). */
  private static List<Double> superuserCutover1(int runs, List<String> failures) {
    List<Double> c1 = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      System.err.println("bench: cutover 1 as the superuser " + i + " of " + runs + " ...");
      try (Workspace ws = Workspace.create("bench-c1-superuser");
           JourneyScenario scenario = new JourneyScenario(ws, JourneyScenario.Options.defaults().asSuperuser(), line -> { })) {
        JourneyResult r = scenario.run();
        if (r.problems().isEmpty()) {
          add(c1, r.downtime.get("cutover_1"));
        } else {
          failures.add("superuser cutover 1 run " + i + ": " + String.join("; ", r.problems()));
        }
      } catch (RuntimeException e) {
        failures.add("superuser cutover 1 run " + i + ": " + e.getMessage());
      }
    }
    return c1;
  }

  private static void add(List<Double> to, Duration d) {
    if (d != null) {
      to.add(d.toNanos() / 1e9);
    }
  }

  private static double last(List<Double> values) {
    return values.isEmpty() ? Double.NaN : values.get(values.size() - 1);
  }

  private static double median(List<Double> values) {
    return values == null ? Double.NaN : Medians.of(values);
  }

  private static String medians(Map<String, List<Double>> parts, String skip) {
    StringBuilder sb = new StringBuilder();
    parts.forEach((k, v) -> {
      if (!k.equals(skip)) {
        sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(String.format("%.2f s", Medians.of(v)));
      }
    });
    return sb.toString();
  }
}
