package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Lsn;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.ArchiveStoreInspector;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.store.FileStore;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import io.pgferry.testkit.plan.PlanBuilder.PhaseTimeout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cutover 1 against a real source PostgreSQL: the real database fence, the source's final WAL position and
 * pg_switch_wal; the undo lifts the fence. Agents are the in-memory directory double; the app switch records.
 */
class SourceCutoverTest {
  static Workspace ws;
  static PgCluster source;

  @TempDir
  Path dir;

  final InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.5", 5432, 15)
      .add("b", "10.0.0.6", 5432, 15);
  final RecordingSwitcher switcher = new RecordingSwitcher();

  @BeforeAll
  static void start() {
    ws = Workspace.create("source-cutover");
    source = PgCluster.start(ws, "source", 15);
    source.execute("CREATE ROLE app LOGIN", "CREATE DATABASE appdb OWNER app");
    try (Connection c = app(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id int)");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stop() {
    source.close();
    ws.close();
  }

  static Connection app() throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + source.port() + "/appdb", "app", "");
  }

  JourneyService service() {
    return service(dir.resolve("state"));
  }

  JourneyService service(Path stateDir) {
    return new JourneyService(new FileStore(stateDir), nodes, JourneySteps.with(new JourneyWiring(p -> switcher, InMemoryAFence::new,
        new ArchiveStoreInspector(), InMemoryNodeDirectory.CLEAN_COLLATION)), Clock.systemUTC());
  }

  String plan() throws Exception {
    return planned().yaml();
  }

  PlanBuilder planned() throws Exception {
    return TestPlans.engine().source(source.url("appdb")).archiveDir(FakeArchive.withBackup(dir.resolve("archive"), "{}")).target(source.url("postgres"));
  }

  @Test
  void fencesTheSourceReadsItsFinalPositionAndLeavesItFenced() throws Exception {
    try (Connection before = app(); Statement s = before.createStatement()) {
      s.execute("INSERT INTO t VALUES (1)");
    }
    Lsn start = Lsn.parse(source.queryValue("SELECT pg_current_wal_lsn()"));
    try (JourneyService service = service()) {
      service.apply("plan.yaml", plan(), true);
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
      JournalState st = JournalState.replay(Journal.open(dir.resolve("state"), Clock.systemUTC()).records());
      Lsn fenced = Lsn.parse(st.step(JourneyTable.C1_FENCE_SOURCE).evidence().get("wal_lsn"));
      Lsn last = Lsn.parse(st.step(JourneyTable.C1_FINAL_LSN).evidence().get("final_lsn"));
      assertTrue(fenced.compareTo(start) >= 0 && last.compareTo(fenced) >= 0, start + " " + fenced + " " + last);
      assertEquals("true", st.step(JourneyTable.C1_FINAL_LSN).evidence().get("switched_wal"));
    }
    try (Connection after = app(); Statement s = after.createStatement()) {
      SQLException e = assertThrows(SQLException.class, () -> s.execute("INSERT INTO t VALUES (2)"));
      assertEquals("25006", e.getSQLState(), "read-only transaction: the source stays fenced after cutover 1");
    }
  }

  @Test
  void aFailureAfterTheFenceLiftsItAndTheSourceTakesWritesAgain() throws Exception {
    switcher.onBlock = () -> nodes.failArchiveReplicaWith = "restore_command: segment 000000010000000000000009 missing";
    try (JourneyService service = service()) {
      service.apply("plan.yaml", planned().timeout(PhaseTimeout.CUTOVER_1, Duration.ofSeconds(3)).yaml(), true);
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertEquals(JourneyEngine.State.FAILED, end.state());
      assertTrue(end.message().contains("segment 000000010000000000000009 missing"), end.message());
      assertTrue(end.message().contains("the source fence lifted"), end.message());
      assertEquals(List.of("block", "unblock"), switcher.calls);
    }
    try (Connection c = app(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO t VALUES (3)");
    }
  }

  /**
   * #13: the controller's disk fills up in cutover 1 once the source is fenced and the app blocked. The journal cannot
   * record the next step, so the engine lifts the real fence and unblocks the app before it stops, and says why; the
   * journal still loads, and the next `resume` records the undo before anything else.
   */
  @Test
  void aFullDiskDuringCutover1UndoesItBeforeTheEngineStops() throws Exception {
    try (SmallTmpfs disk = SmallTmpfs.mount(dir.resolve("disk"), "1m")) {
      Path state = disk.root.resolve("state");
      switcher.onBlock = () -> nodes.onNextNodeRead = () -> {
        try {
          SmallTmpfs.padToPageEnd(state.resolve(Journal.FILE_NAME));
          disk.fill();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };
      try (JourneyService service = service(state)) {
        service.apply("plan.yaml", plan(), true);
        JourneyEngine.Snapshot end = service.awaitStopped();
        assertEquals(JourneyEngine.State.FAILED, end.state(), end.message());
        assertEquals(Phase.CUTOVER_1, end.phase());
        assertTrue(end.message().contains("No space left on device"), end.message());
        assertTrue(end.message().contains("undone: writes unblocked, the source fence lifted"), end.message());
        assertTrue(service.status().message().contains("No space left on device"), "the API says why");
        assertEquals(List.of("block", "unblock"), switcher.calls);
      }
      try (Connection c = app(); Statement s = c.createStatement()) {
        s.execute("INSERT INTO t VALUES (4)"); // the fence is lifted
      }
      try (Journal journal = Journal.open(state, Clock.systemUTC())) {
        assertEquals(1, journal.state().step(JourneyTable.C1_FENCE_SOURCE).starts(), "the fence had been set");
        assertEquals(0, journal.state().step(JourneyTable.C1_PROMOTE).starts());
      }
      disk.free();
      try (JourneyService service = service(state)) {
        service.resume(); // not a second cutover with the app unblocked: the noted undo is recorded first
        JourneyEngine.Snapshot end = service.awaitStopped();
        assertEquals(JourneyEngine.State.STOPPED, end.state(), end.message());
        assertTrue(end.message().contains("undone"), end.message());
        assertEquals(List.of("block", "unblock", "unblock"), switcher.calls, "only the (idempotent) undo ran again");
      }
      try (Journal journal = Journal.open(state, Clock.systemUTC())) {
        assertTrue(journal.records().stream().anyMatch(r -> r.event() == JournalRecord.Event.STEP_DONE
            && JourneyTable.C1_UNDO_LIFT_FENCE.equals(r.step())), "resume recorded the undo");
        assertEquals(Optional.empty(), journal.unrecordedUndo());
        assertEquals(0, journal.state().step(JourneyTable.C1_BLOCK_APP).starts(), "cutover 1 starts afresh on resume");
      }
    }
  }
}
