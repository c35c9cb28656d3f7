package io.pgferry.e2e.bench;

import io.pgferry.e2e.scenario.CrashPoint;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.testkit.Workspace;
import java.util.ArrayList;
import java.util.List;

/**
 * Controllers on etcd (docs/ha.md): N journeys to cutover 1 with 3 controllers on a 3-member etcd (lease ttl 3 s),
 * the leader killed (kill -9) while cutover 1 waits for A to replay. Rows: the leader takeover time (the kill -> the
 * new leader's first journal record) and cutover 1's write downtime with the kill in it.
 */
final class LeaderTakeover {
  private LeaderTakeover() {}

  static List<BenchRow> run(int runs) {
    List<Double> takeover = new ArrayList<>();
    List<Double> gap = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      System.err.println("bench: leader takeover " + i + " of " + runs + " ...");
      try (Workspace ws = Workspace.create("bench-leader-takeover");
           JourneyScenario scenario = new JourneyScenario(ws, JourneyScenario.Options.defaults().controllersOnEtcd(3)
               .crashControllerAt(CrashPoint.CUTOVER_1), line -> { })) {
        JourneyResult r = scenario.run();
        if (!r.problems().isEmpty() || r.leaderChanges.size() != 1) {
          failures.add("run " + i + ": " + String.join("; ", r.problems()) + " " + r.leaderChanges);
          continue;
        }
        takeover.add(r.leaderChanges.get(0).takeover().toNanos() / 1e9);
        gap.add(r.downtime.get("cutover_1").toNanos() / 1e9);
        System.err.printf("bench: leader takeover %d: %.2f s, cutover 1 write downtime %.2f s%n", i,
            takeover.get(takeover.size() - 1), gap.get(gap.size() - 1));
      } catch (RuntimeException e) {
        failures.add("run " + i + ": " + e.getMessage());
      }
    }
    if (takeover.isEmpty()) {
      throw new IllegalStateException("no journey with a leader kill finished cleanly: " + failures);
    }
    String n = "median of " + takeover.size() + " journeys to cutover 1, 3 controllers on etcd, lease ttl 3 s"
        + (failures.isEmpty() ? "" : " (" + failures.size() + " failed: " + failures + ")");
    return List.of(
        BenchRow.single("leader takeover time (kill -9 of the leader -> the new leader's first journal record)",
            Medians.of(takeover), "s", n + "; " + Medians.spread(takeover)
                + "; bound: ttl + a follower's 250 ms look + etcd's expiry check + the agents' redial"),
        BenchRow.single("cutover 1 write downtime with the leader killed in wait_replayed (etcd)", Medians.of(gap), "s",
            n + "; " + Medians.spread(gap) + "; compare the cutover 1 row; goal <= its baseline + ttl + 2 s"));
  }
}
