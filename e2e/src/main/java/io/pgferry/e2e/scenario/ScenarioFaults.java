package io.pgferry.e2e.scenario;

import io.pgferry.testkit.Await;
import io.pgferry.e2e.rig.ControllerNode;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.rig.ManagedProcess;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.PgCluster;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
  private final List<JourneyResult.LeaderChange> leaderChanges;
  private final Consumer<String> say;
  private final Supplier<PgCluster> target;
  private final JourneyResult result;
  /** System.nanoTime() of the kill of a (0: not killed). */
  private volatile long aKilledAt;

  ScenarioFaults(Supplier<Rig> rig, Supplier<JourneyDriver> driver, List<String> controllerCrashes,
                 List<JourneyResult.LeaderChange> leaderChanges, Consumer<String> say, Supplier<PgCluster> target,
                 JourneyResult result) {
    this.target = target;
    this.result = result;
    this.rig = rig;
    this.driver = driver;
    this.controllerCrashes = controllerCrashes;
    this.leaderChanges = leaderChanges;
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
    if (rig.get().etcd() != null) {
      return killLeaderAt(p);
    }
    return new JourneyHook("kill -9 the controller " + (p.afterDone() ? "right after " : "during ") + p.step()
        + ", restart it " + (down.isZero() ? "at once" : down.toSeconds() + " s later") + " (it resumes by itself)", p.step(), () -> {
      Rig r = rig.get();
      awaitDoneIfAfter(p);
      awaitFirstCopyItemIf(p);
      ManagedProcess old = r.controller();
      long pid = old.pid();
      int linked = r.api().agentsConnected(); // a killed A's agent (a failover) is not among them
      boolean spare = r.leading().spare() != null;
      r.killController();
      controllerCrashes.add("kill -9 " + pid + " during " + p.step());
      say.accept("     controller (pid " + pid + ") killed; " + (spare ? "its warm spare (pid " + r.controller().pid()
          + ") takes over; " : "") + "restarting it" + (down.isZero() ? "" : " in " + down.toSeconds() + " s")
          + (spare ? " as the next spare" : ""));
      Thread.sleep(down.toMillis()); // the fault's length: a service manager restarting it later
      r.restartController();
      Await.until("the " + linked + " agent(s) linked before the kill to reconnect to the restarted controller",
          Duration.ofSeconds(60), () -> r.api().agentsConnected() >= linked, () -> r.controller().logTail(10));
      say.accept("     controller back (pid " + r.controller().pid() + "); no `pgferry resume`: it resumes by itself");
    });
  }

  /**
   * The copy mid-way: T's pgferry.copy_items has an app table's item done and an item not done (watched every 20 ms); the items done
   * then are kept in the result, to be compared with what the restarted controller copies.
   */
  private void awaitFirstCopyItemIf(CrashPoint p) throws InterruptedException {
    if (!p.afterFirstCopyItem()) {
      return;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (true) {
      try (Connection c = target.get().connect(SourceDatabase.APP_DB); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT string_agg(item, ',' ORDER BY item) FILTER (WHERE done), count(*) FILTER (WHERE NOT done),"
               + " count(*) FILTER (WHERE done AND table_schema <> 'pgferry') FROM pgferry.copy_items")) {
        rs.next();
        if (rs.getLong(3) > 0 && rs.getLong(2) > 0) { // an app table's item, not only pgferry's own DDL log (copied first)
          result.copyItemsDoneAtKill.clear();
          result.copyItemsDoneAtKill.addAll(List.of(rs.getString(1).split(",")));
          result.journeyAtCopyKill = rig.get().api().text("/api/journey").orElse(null);
          return;
        }
      } catch (SQLException e) {
        // pgferry.copy_items not created yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no copy item done (with others still to copy) within 120 s");
      }
      Thread.sleep(20);
    }
  }

  /** Cutover 2's steps take milliseconds: the journal is watched closely, not at the driver's pace. */
  private void awaitDoneIfAfter(CrashPoint p) throws InterruptedException {
    if (!p.afterDone()) {
      return;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (driver.get().journal().read().stream().noneMatch(e -> e.is("STEP_DONE", p.step()))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(p.step() + " not done within 60 s");
      }
      Thread.sleep(5);
    }
  }

  /**
   * Controllers on etcd: kill -9 of the leader once {@code p}'s step starts; nothing else is done until a follower
   * leads and has written its first journal record (it continues the journey by itself); then the killed controller
   * is started again, as systemd would, and joins as a follower.
   */
  private JourneyHook killLeaderAt(CrashPoint p) {
    return new JourneyHook("kill -9 the leading controller during " + p.step() + " (a follower takes over)", p.step(), () -> {
      Rig r = rig.get();
      awaitDoneIfAfter(p);
      ControllerNode old = r.leading();
      long pid = old.process().pid();
      JourneyResult.LeaderChange change = fault("kill -9", p.step(), old);
      old.kill();
      controllerCrashes.add("kill -9 " + pid + " (controller " + old.index() + ", leader) during " + p.step());
      say.accept("     leader (controller " + old.index() + ", pid " + pid + ") killed; no human action");
      takeOver(r, change, old, driver.get().journal().read().size());
      r.restartController(old);
      say.accept("     controller " + old.index() + " started again (pid " + old.process().pid() + "): a follower now");
    });
  }

  /**
   * Controllers on etcd: once {@code step} starts, every link of the leader to etcd is black-holed (its HTTP API stays
   * reachable). The old leader must refuse writes (503) before the new leader's first journal record; the rig probes
   * it with a harmless POST every 20 ms. Once the new leader acted, the partition heals and the old one follows.
   */
  JourneyHook partitionLeaderWhen(String step) {
    return new JourneyHook("partition the leading controller from etcd during " + step, step, () -> {
      Rig r = rig.get();
      ControllerNode old = r.leading();
      JourneyResult.LeaderChange change = fault("partition", step, old);
      r.etcd().partition(old.index());
      say.accept("     leader (controller " + old.index() + ") cut off from etcd; its API stays reachable");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!old.api().post("/api/rig-probe").startsWith("503 ")) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("controller " + old.index() + " still accepts writes 30 s after its partition from etcd");
        }
        Thread.sleep(20);
      }
      change.oldStoppedAt = Instant.now();
      // whatever the old leader wrote landed by now: every later record is the new leader's
      takeOver(r, change, old, driver.get().journal().read().size());
      r.etcd().heal(old.index());
      say.accept("     partition healed: controller " + old.index() + " follows");
    });
  }

  private JourneyResult.LeaderChange fault(String cause, String step, ControllerNode old) {
    JourneyResult.LeaderChange change = new JourneyResult.LeaderChange();
    change.cause = cause;
    change.step = step;
    change.from = old.index();
    change.oldLeaderLog = old.log();
    change.faultNanos = System.nanoTime();
    change.faultAt = Instant.now();
    return change;
  }

  /** Waits for another leader and for its first journal record after {@code recordsBefore}; records the change. */
  private void takeOver(Rig r, JourneyResult.LeaderChange change, ControllerNode old, int recordsBefore) {
    ControllerNode next = r.awaitLeader(old, Duration.ofSeconds(60));
    change.newLeaderSeenAt = Instant.now();
    change.to = next.index();
    JournalFile journal = r.journal();
    Await.until("the new leader (controller " + next.index() + ") to write its first journal record", Duration.ofSeconds(90),
        () -> journal.read().size() > recordsBefore, () -> next.process().logTail(15));
    JournalFile.Entry first = journal.read().get(recordsBefore);
    change.firstRecordSeq = first.seq();
    change.firstRecordAt = first.at();
    leaderChanges.add(change);
    say.accept("     controller " + next.index() + " leads; its first act: #" + first.seq() + " " + first.event()
        + (first.step() != null ? " " + first.step() : "") + (first.message() != null ? " (" + first.message() + ")" : "")
        + ", " + change.takeover().toMillis() + " ms after the fault");
    long alive = r.agentsAlive(); // a crashed node's agent (the failover's a) does not come back
    Await.until(alive + " running agent(s) to connect to the new leader", Duration.ofSeconds(60),
        () -> r.api().agentsConnected() >= alive, () -> next.process().logTail(10));
  }

  private void crash(String id) {
    rig.get().agent(id).kill();
    rig.get().agentCluster(id).kill9();
  }
}
