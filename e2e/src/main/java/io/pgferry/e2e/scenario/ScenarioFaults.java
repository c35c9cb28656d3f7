package io.pgferry.e2e.scenario;

import io.pgferry.e2e.rig.Await;
import io.pgferry.e2e.rig.ManagedProcess;
import io.pgferry.e2e.rig.Rig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The faults a scenario injects as hooks once a step starts: a node crashed (kill -9 of its agent and postmaster), a
 * node lost (crashed, its data dir damaged, its agent restarted), the controller killed and resumed. Remembers when
 * a was killed, which the failover's downtime is measured from.
 */
final class ScenarioFaults {
  private final Supplier<Rig> rig;
  private final Supplier<JourneyDriver> driver;
  private final List<String> controllerCrashes;
  private final Consumer<String> say;
  /** System.nanoTime() of the kill of a (0: not killed). */
  private volatile long aKilledAt;

  ScenarioFaults(Supplier<Rig> rig, Supplier<JourneyDriver> driver, List<String> controllerCrashes, Consumer<String> say) {
    this.rig = rig;
    this.driver = driver;
    this.controllerCrashes = controllerCrashes;
    this.say = say;
  }

  /** System.nanoTime() of the kill of a, 0 if a was not killed. */
  long aKilledAt() {
    return aKilledAt;
  }

  /** Crashes node {@code id} (kill -9 of its agent and its postmaster) once {@code step} starts. */
  JourneyHook killNodeWhen(String id, String step) {
    return new JourneyHook("kill -9 node " + id + " (agent and PostgreSQL) during " + step, step, () -> {
      if ("a".equals(id)) {
        aKilledAt = System.nanoTime();
      }
      crash(id);
    });
  }

  /**
   * Loses node {@code id} once {@code step} starts: kill -9 of its agent and postmaster, its data dir damaged
   * (global/pg_control and base/ deleted: PostgreSQL cannot start from it), then its agent started again, as
   * systemd would.
   */
  JourneyHook loseNodeWhen(String id, String step) {
    return new JourneyHook("lose node " + id + " during " + step + " (kill -9 of agent and PostgreSQL, data dir"
        + " damaged, agent restarted)", step, () -> {
      crash(id);
      Path dataDir = rig.get().agentCluster(id).dataDir();
      Files.delete(dataDir.resolve("global/pg_control"));
      try (var walk = Files.walk(dataDir.resolve("base"))) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
      say.accept("     " + id + " killed, its global/pg_control and base/ deleted; its agent starts again");
      rig.get().agent(id).start();
    });
  }

  /**
   * kill -9 of the controller once {@code p}'s step starts (or is done), then, {@code down} later, its restart and
   * nothing else: the restarted controller resumes the journey by itself (issue #17 item 4).
   */
  JourneyHook crashControllerAt(CrashPoint p, Duration down) {
    return new JourneyHook("kill -9 the controller " + (p.afterDone() ? "right after " : "during ") + p.step()
        + ", restart it " + (down.isZero() ? "at once" : down.toSeconds() + " s later") + " (it resumes by itself)", p.step(), () -> {
      Rig r = rig.get();
      if (p.afterDone()) {
        // cutover 2's steps take milliseconds: the journal file is watched closely, not at the driver's pace
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (driver.get().journal().read().stream().noneMatch(e -> e.is("STEP_DONE", p.step()))) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(p.step() + " not done within 60 s");
          }
          Thread.sleep(5);
        }
      }
      ManagedProcess old = r.controller();
      long pid = old.pid();
      int linked = r.api().agentsConnected(); // a killed A's agent (a failover) is not among them
      r.killController();
      controllerCrashes.add("kill -9 " + pid + " during " + p.step());
      say.accept("     controller (pid " + pid + ") killed; restarting it" + (down.isZero() ? "" : " in " + down.toSeconds() + " s"));
      Thread.sleep(down.toMillis()); // the fault's length: a service manager restarting it later
      r.restartController();
      Await.until("the " + linked + " agent(s) linked before the kill to reconnect to the restarted controller",
          Duration.ofSeconds(60), () -> r.api().agentsConnected() >= linked, () -> r.controller().logTail(10));
      say.accept("     controller back (pid " + r.controller().pid() + "); no `pgferry resume`: it resumes by itself");
    });
  }

  private void crash(String id) {
    rig.get().agent(id).kill();
    rig.get().agentCluster(id).kill9();
  }
}
