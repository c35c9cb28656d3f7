package io.pgferry.controller.journey;

import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.store.FileStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.ArchiveStoreInspector;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cutover 1's collation check against a real PostgreSQL standing in for B, whose restored catalog holds an index
 * sorted under another collation order: the journey stops before anything is blocked, naming the index; with
 * on_broken_index: report it goes on and the journal carries the report.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class CollationCutoverTest {
  static Workspace ws;
  static PgCluster b;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    ws = Workspace.create("collation-cutover");
    b = PgCluster.start(ws, "b", 15);
    b.execute("CREATE DATABASE appdb");
    try (var c = b.connect("appdb"); var s = c.createStatement()) {
      s.execute("""
          CREATE EXTENSION amcheck;
          CREATE COLLATION sorted_elsewhere (provider = icu, locale = 'und');
          CREATE TABLE words (w text COLLATE "C");
          INSERT INTO words SELECT x FROM unnest(ARRAY['a', 'B', 'b', 'A', 'c', 'C', 'Ab', 'bA', 'Z', 'z']) AS x,
                                          generate_series(1, 50);
          CREATE INDEX words_w ON words (w);
          UPDATE pg_index SET indcollation = (SELECT oid::text FROM pg_collation WHERE collname = 'sorted_elsewhere')::oidvector
           WHERE indexrelid = 'words_w'::regclass;
          UPDATE pg_attribute SET attcollation = (SELECT oid FROM pg_collation WHERE collname = 'sorted_elsewhere')
           WHERE attrelid = 'words_w'::regclass;
          """);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stop() {
    b.close();
    ws.close();
  }

  /** What one journey run left: how the engine stopped, the journal, the switch calls. */
  record Run(JourneyEngine.Snapshot end, JournalState journal, List<String> switchCalls) {}

  /** A journey with B on the real cluster and A at {@code aPort} on 127.0.0.1 (0: a node with no PostgreSQL). */
  Run run(String policy, int aPort) throws Exception {
    InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", aPort == 0 ? "10.0.0.5" : "127.0.0.1", aPort == 0 ? 5432 : aPort, 15)
        .add("b", "127.0.0.1", b.port(), 15);
    RecordingSwitcher switcher = new RecordingSwitcher();
    try (JourneyService service = new JourneyService(new FileStore(dir.resolve("state")), nodes, JourneySteps.with(
        new JourneyWiring(p -> switcher, InMemoryAFence::new, new ArchiveStoreInspector())),
        Clock.systemUTC())) {
      service.apply("plan.yaml", TestPlans.engine().archiveDir(FakeArchive.withBackup(dir.resolve("archive"), "{}"))
          .target(b.url("postgres")).collationOnBrokenIndex(policy).yaml(), true);
      JourneyEngine.Snapshot end = service.awaitStopped();
      return new Run(end, JournalState.replay(Journal.open(dir.resolve("state"), Clock.systemUTC()).records()), switcher.calls);
    }
  }

  @Test
  @org.junit.jupiter.api.Order(1)
  void aBrokenIndexOnBStopsCutover1BeforeAnythingIsBlocked() throws Exception {
    Run r = run("stop", 0);
    assertEquals(JourneyEngine.State.FAILED, r.end().state(), r.end().message());
    assertTrue(r.end().message().contains("cutover_1.check_collation") && r.end().message().contains("words_w")
        && r.end().message().contains("on_broken_index: reindex"), r.end().message());
    assertTrue(r.switchCalls().isEmpty(), "nothing blocked: " + r.switchCalls());
  }

  @Test
  @org.junit.jupiter.api.Order(2)
  void reportGoesOnAndTheJournalCarriesTheReport() throws Exception {
    Run r = run("report", 0);
    JournalState.StepState check = r.journal().step(JourneyTable.C1_COLLATION);
    assertEquals("1", check.evidence().get("broken"), check.evidence().toString());
    assertTrue(!r.switchCalls().isEmpty(), "cutover 1 went on");
  }

  @Test
  @org.junit.jupiter.api.Order(3)
  void reindexRebuildsTheBrokenIndexOnAAfterItsPromotion() throws Exception {
    // A and B are both the real cluster here: B is checked, A (once "promoted" by the node double) is rebuilt
    Run r = run("reindex", b.port());
    JournalState st = r.journal();
    assertEquals("words_w", st.step(JourneyTable.C1_COLLATION).evidence().get("reindex"));
    assertEquals("words_w", st.step(JourneyTable.C1_REINDEX).evidence().get("rebuilt"), st.step(JourneyTable.C1_REINDEX).toString());
    assertTrue(r.switchCalls().contains("block"), "rebuilt while the app was blocked: " + r.switchCalls());
    Instant rebuilt = st.step(JourneyTable.C1_REINDEX).doneAt();
    Instant repoint = st.step(JourneyTable.C1_REPOINT).firstStartedAt();
    assertTrue(repoint != null && !rebuilt.isAfter(repoint), "rebuilt " + rebuilt + " before the repoint " + repoint);
    try (var c = b.connect("appdb"); var s = c.createStatement()) {
      s.execute("SELECT bt_index_check('words_w'::regclass)"); // rebuilt in this collation's order: no error
    }
  }
}
