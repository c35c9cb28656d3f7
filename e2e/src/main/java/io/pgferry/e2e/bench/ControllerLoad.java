package io.pgferry.e2e.bench;

import io.pgferry.testkit.Await;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.Workspace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Controller CPU with N simulated agents reporting at 1 Hz over mTLS, beside the same controller idle. */
final class ControllerLoad {
  private ControllerLoad() {}

  static List<BenchRow> run(int agents, Duration window) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < agents; i++) {
      ids.add("sim" + i);
    }
    try (Workspace ws = Workspace.create("bench-controller"); Rig rig = new Rig(ws, ids)) {
      rig.initCerts().startController();
      long pid = rig.controller().pid();
      Thread.sleep(3000);
      double idle = cpuOver(pid, window);
      try (SimulatedAgents sim = new SimulatedAgents(agents, "127.0.0.1", rig.linkPort(), ws.root().resolve("certs"), "sim")) {
        sim.start();
        Await.until(agents + " simulated agents connected", Duration.ofMinutes(2), () -> sim.connected() == agents,
            () -> sim.connected() + " connected");
        Thread.sleep(3000);
        double loaded = cpuOver(pid, window);
        long rss = ProcessStats.rssBytes(pid);
        return List.of(
            BenchRow.of("controller CPU, " + agents + " agents at 1 Hz (share of one core)", loaded * 100, idle * 100, "%", "idle controller"),
            BenchRow.single("controller RSS with " + agents + " agents", rss / 1048576.0, "MiB", ""));
      }
    }
  }

  private static double cpuOver(long pid, Duration window) throws Exception {
    double before = ProcessStats.cpuSeconds(pid);
    long t0 = System.nanoTime();
    Thread.sleep(window.toMillis());
    return (ProcessStats.cpuSeconds(pid) - before) / ((System.nanoTime() - t0) / 1e9);
  }
}
