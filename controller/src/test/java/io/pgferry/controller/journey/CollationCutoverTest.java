package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.ArchiveStoreInspector;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import java.nio.file.Path;
import java.time.Clock;
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
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stop() {
    b.close();
    ws.close();
  }

  JourneyService service(InMemoryNodeDirectory nodes, RecordingSwitcher switcher) {
    return new JourneyService(dir.resolve("state"), nodes, JourneySteps.with(new io.pgferry.controller.journey.wiring.JourneyWiring(
        p -> switcher, InMemoryAFence::new, new ArchiveStoreInspector())), Clock.systemUTC());
  }

  String plan(String policy) {
    return TestPlans.engine().archiveDir(FakeArchive.withBackup(dir.resolve("archive"), "{}")).target(b.url("postgres"))
        .collationOnBrokenIndex(policy).yaml();
  }

  @Test
  @org.junit.jupiter.api.Order(1)
  void aBrokenIndexOnBStopsCutover1BeforeAnythingIsBlocked() throws Exception {
    InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.5", 5432, 15).add("b", "127.0.0.1", b.port(), 15);
    RecordingSwitcher switcher = new RecordingSwitcher();
    try (JourneyService service = service(nodes, switcher)) {
      service.apply("plan.yaml", plan("stop"));
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertEquals(JourneyEngine.State.FAILED, end.state(), end.message());
      assertTrue(end.message().contains("cutover_1.check_collation") && end.message().contains("words_w")
          && end.message().contains("on_broken_index: reindex"), end.message());
      assertTrue(switcher.calls.isEmpty(), "nothing blocked: " + switcher.calls);
    }
  }

  @Test
  @org.junit.jupiter.api.Order(2)
  void reportGoesOnAndTheJournalCarriesTheReport() throws Exception {
    InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.5", 5432, 15).add("b", "127.0.0.1", b.port(), 15);
    RecordingSwitcher switcher = new RecordingSwitcher();
    try (JourneyService service = service(nodes, switcher)) {
      service.apply("plan.yaml", plan("report"));
      service.awaitStopped();
      JournalState st = JournalState.replay(Journal.open(dir.resolve("state"), Clock.systemUTC()).records());
      JournalState.StepState check = st.step(JourneyTable.C1_COLLATION);
      assertEquals("1", check.evidence().get("broken"), check.evidence().toString());
      assertTrue(!switcher.calls.isEmpty(), "cutover 1 went on");
    }
  }

  @Test
  @org.junit.jupiter.api.Order(3)
  void reindexRebuildsTheBrokenIndexOnAAfterItsPromotion() throws Exception {
    // A and B are both the real cluster here: B is checked, A (once "promoted" by the node double) is rebuilt
    InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "127.0.0.1", b.port(), 15).add("b", "127.0.0.1", b.port(), 15);
    RecordingSwitcher switcher = new RecordingSwitcher();
    try (JourneyService service = service(nodes, switcher)) {
      service.apply("plan.yaml", plan("reindex"));
      service.awaitStopped();
      JournalState st = JournalState.replay(Journal.open(dir.resolve("state"), Clock.systemUTC()).records());
      assertEquals("words_w", st.step(JourneyTable.C1_COLLATION).evidence().get("reindex"));
      assertEquals("words_w", st.step(JourneyTable.C1_REINDEX).evidence().get("rebuilt"), st.step(JourneyTable.C1_REINDEX).toString());
      assertTrue(switcher.calls.contains("block"), "rebuilt while the app was blocked: " + switcher.calls);
      java.time.Instant rebuilt = st.step(JourneyTable.C1_REINDEX).doneAt();
      java.time.Instant repoint = st.step(JourneyTable.C1_REPOINT).firstStartedAt();
      assertTrue(repoint != null && !rebuilt.isAfter(repoint), "rebuilt " + rebuilt + " before the repoint " + repoint);
    }
    try (var c = b.connect("appdb"); var s = c.createStatement()) {
      s.execute("SELECT bt_index_check('words_w'::regclass)"); // rebuilt in this collation's order: no error
    }
  }
}
