package io.pgferry.controller.journey;

import io.pgferry.controller.store.FileStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.HerokuStandIn;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import io.pgferry.testkit.plan.PlanBuilder.PhaseTimeout;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cutover 1 with the Heroku switch (against the stand-in of the Platform API) and the database fence on a real
 * source: maintenance on -> config var set -> maintenance off, in that order; a "worker dyno" that ignores
 * maintenance and writes straight to the source is stopped by the fence, and none of its acknowledged rows is
 * lost or committed after the fence. Agents: the in-memory double.
 */
class HerokuCutoverTest {
  @TempDir
  Path dir;

  @Test
  void maintenanceConfigVarMaintenanceOffAndTheFenceStopsAWorker() throws Exception {
    InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.5", 5432, 15)
        .add("b", "10.0.0.6", 5432, 15);
    try (Workspace ws = Workspace.create("heroku-cutover"); PgCluster source = PgCluster.start(ws, "source", 15);
         HerokuStandIn heroku = HerokuStandIn.start("test-token")) {
      source.execute("CREATE ROLE app LOGIN", "CREATE DATABASE appdb OWNER app");
      String appUrl = "jdbc:postgresql://127.0.0.1:" + source.port() + "/appdb";
      try (Connection c = DriverManager.getConnection(appUrl, "app", ""); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE ledger (id int PRIMARY KEY, written_at timestamptz DEFAULT clock_timestamp())");
      }
      heroku.app("myapp", Map.of("AURORA_MASTER_DATABASE_URL", "postgres://app@old:5432/appdb"), Map.of("worker", 1));
      Path token = PlanBuilder.writeSecret(dir.resolve("token"), "test-token");

      // a worker dyno: ignores maintenance, writes straight to the source, reconnects after errors
      ConcurrentLinkedQueue<Integer> acknowledged = new ConcurrentLinkedQueue<>();
      AtomicInteger failures = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      Thread worker = new Thread(() -> {
        int next = 1;
        while (!stop.get()) {
          try (Connection c = DriverManager.getConnection(appUrl, "app", "");
               PreparedStatement insert = c.prepareStatement("INSERT INTO ledger (id) VALUES (?)")) {
            while (!stop.get()) {
              insert.setInt(1, next);
              insert.executeUpdate();
              acknowledged.add(next++);
              Thread.sleep(5);
            }
          } catch (Exception e) {
            failures.incrementAndGet();
            next++; // never retry an id: a duplicate would then point at the migration
            try {
              Thread.sleep(20);
            } catch (InterruptedException ie) {
              return;
            }
          }
        }
      });
      worker.start();

      String plan = PlanBuilder.plan().source(source.url("appdb")).archiveTimeout(Duration.ofSeconds(1))
          .archiveDir(FakeArchive.withBackup(dir.resolve("archive"), "{}")).target(source.url("postgres"))
          .herokuSwitch("myapp", "AURORA_MASTER_DATABASE_URL", PlanBuilder.file(token), heroku.url(), "worker")
          .pollInterval(Duration.ofMillis(20)).timeout(PhaseTimeout.CUTOVER_1, Duration.ofSeconds(20)).yaml();
      Path state = dir.resolve("state");
      Instant fencedAt;
      try (JourneyService journey = new JourneyService(new FileStore(state), nodes, InMemoryAFence.live(state), Clock.systemUTC())) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (acknowledged.size() < 20) {
          assertTrue(System.nanoTime() < deadline, "the worker does not write");
          Thread.sleep(10);
        }
        journey.apply("plan.yaml", plan, true);
        JourneyEngine.Snapshot end = journey.awaitStopped();
        assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
        try (Journal j = Journal.open(state, Clock.systemUTC())) {
          fencedAt = j.state().step(JourneyTable.C1_FENCE_SOURCE).doneAt();
        }
        Thread.sleep(300); // let the worker keep trying against the fenced source
      } finally {
        stop.set(true);
        worker.join(5000);
      }

      List<String> changes = heroku.changes().stream().map(HerokuStandIn.Call::toString).toList();
      int on = indexOf(changes, "\"maintenance\":true");
      int repoint = indexOf(changes, "config-vars");
      int off = indexOf(changes, "\"maintenance\":false");
      assertTrue(on >= 0 && on < repoint && repoint < off, String.join("\n", changes));
      assertTrue(changes.get(repoint).contains("10.0.0.5:5432/appdb"), changes.get(repoint));

      assertTrue(failures.get() > 0, "the worker was stopped by the fence");
      try (Connection c = DriverManager.getConnection(source.jdbcUrl("appdb"), "postgres", "");
           Statement s = c.createStatement()) {
        var rs = s.executeQuery("SELECT count(*), max(written_at) FROM ledger");
        rs.next();
        assertEquals(acknowledged.size(), rs.getInt(1), "every acknowledged row is there, no other");
        Instant lastWrite = rs.getTimestamp(2).toInstant();
        assertTrue(!lastWrite.isAfter(fencedAt), "last write " + lastWrite + " after the fence " + fencedAt);
      }
    }
  }

  private static int indexOf(List<String> lines, String needle) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).replace(" ", "").contains(needle.replace(" ", ""))) {
        return i;
      }
    }
    return -1;
  }
}
