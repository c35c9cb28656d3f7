package io.pgferry.e2e.bench;

import io.pgferry.e2e.rig.ManagedProcess;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Agent start time (process start -> link accepted by the controller) and resident memory while it runs a
 * streaming standby, beside the PostgreSQL postmaster it manages (what the host pays for PostgreSQL itself).
 */
final class AgentFootprint {
  private AgentFootprint() {}

  static List<BenchRow> run(int runs) throws Exception {
    List<Double> startSeconds = new ArrayList<>();
    double rssMiB;
    double pgRssMiB;
    try (Workspace ws = Workspace.create("bench-agent"); Rig rig = new Rig(ws, List.of("b"))) {
      rig.initCerts().startController();
      PgBinaries bin = PgBinaries.forMajor(15);
      try (PgCluster primary = PgCluster.init(ws, "primary", bin, Map.of()).start()) {
        int port = FreePorts.next();
        for (int i = 0; i < runs; i++) {
          long t0 = System.nanoTime();
          ManagedProcess agent = rig.startAgent("b", bin, ws.root().resolve("b"), port, null);
          startSeconds.add((System.nanoTime() - t0) / 1e9);
          if (i == 0) {
            rig.api().assign("b", "{\"state\":\"STREAMING_STANDBY\",\"upstream\":{\"host\":\"127.0.0.1\",\"port\":" + primary.port() + "}}");
            rig.awaitState("b", "STREAMING_STANDBY", Duration.ofMinutes(2));
          }
          if (i < runs - 1) {
            agent.close();
          }
        }
        Thread.sleep(5000); // let the JVM settle after start-up work before reading its footprint
        rssMiB = ProcessStats.rssBytes(rig.agent("b").pid()) / 1048576.0;
        PgCluster standby = PgCluster.adopt("b", bin, ws.root().resolve("b"), port);
        pgRssMiB = standby.postmasterPid().map(pid -> {
          try {
            return ProcessStats.rssBytes(pid) / 1048576.0;
          } catch (IOException e) {
            return -1.0;
          }
        }).orElse(-1.0);
        rig.close();
        standby.close();
      }
    }
    double start = Medians.of(startSeconds);
    BenchRow rss = BenchRow.of("agent RSS managing a streaming standby", rssMiB, pgRssMiB, "MiB", "its postmaster's RSS");
    return List.of(
        BenchRow.single("agent start (spawn -> link accepted), median", start, "s",
            Medians.spread(startSeconds) + "; " + goal(start <= START_GOAL_SECONDS, "< " + START_GOAL_SECONDS + " s")),
        new BenchRow(rss.measure(), rss.pgferry(), rss.baseline(), rss.ratio(), goal(rssMiB < RSS_GOAL_MIB, "< " + RSS_GOAL_MIB + " MiB")));
  }

  /** The footprint the agent promises (issue 12; bin/pgferry-agent's JVM flags keep it). */
  static final double RSS_GOAL_MIB = 128;
  static final double START_GOAL_SECONDS = 2;

  private static String goal(boolean met, String goal) {
    if (!met) {
      System.err.println("AgentFootprint: goal " + goal + " MISSED");
    }
    return "goal " + goal + ": " + (met ? "met" : "MISSED");
  }
}
