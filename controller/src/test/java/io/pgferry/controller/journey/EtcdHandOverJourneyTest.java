package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.ArchiveStoreInspector;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.journey.wiring.SourceFence;
import io.pgferry.controller.store.EtcdClient;
import io.pgferry.controller.store.EtcdStore;
import io.pgferry.testkit.EtcdCluster;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journey on the etcd store: a controller deposed in the middle of a step (its store refuses writes from then on,
 * as after losing the leader key) stops without an undo; another controller on the same etcd prefix continues from
 * the journal and finishes cutover 1 with every goal, switch call and step done once.
 */
class EtcdHandOverJourneyTest {
  static Workspace ws;
  static PgCluster target;
  static EtcdCluster etcd;

  @TempDir
  Path archive;

  final InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.5", 5432, 15)
      .add("b", "10.0.0.6", 5432, 15);
  final RecordingSwitcher switcher = new RecordingSwitcher();

  @BeforeAll
  static void start() throws Exception {
    ws = Workspace.create("etcd-journey");
    target = PgCluster.start(ws, "target", 15);
    etcd = EtcdCluster.start(3);
  }

  @AfterAll
  static void stop() throws Exception {
    etcd.close();
    target.close();
    ws.close();
  }

  private EtcdStore store() {
    return new EtcdStore(new EtcdClient(etcd.endpoints(), Duration.ofSeconds(2)), "/pgferry/journey");
  }

  private JourneyService service(EtcdStore store) {
    return new JourneyService(store, nodes, JourneySteps.with(new JourneyWiring(p -> switcher,
        SourceFence::new, new ArchiveStoreInspector(), InMemoryNodeDirectory.CLEAN_COLLATION)),
        Clock.systemUTC());
  }

  @Test
  void aDeposedControllerStopsWithoutUndoAndTheNextFinishesFromTheJournal() throws Exception {
    FakeArchive.withBackup(archive, "{\"wal_segment_backup_stop\": \"000000010000000000000002\", \"expanded_size_bytes\": 1000000}");
    String plan = TestPlans.engine().archive(archive.toUri().toString().replace("file:/", "file:///"))
        .target(target.url("postgres")).yaml();
    EtcdStore first = store();
    try (JourneyService leader = service(first)) {
      leader.apply("plan.yaml", plan, true);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!nodes.assignments.contains("b:STREAMING_STANDBY")) {
        assertTrue(System.nanoTime() < deadline, "B got no goal: " + nodes.assignments);
        Thread.sleep(5);
      }
      first.fenceWith(0); // deposed while a step waits for B to reach its goal
      JourneyEngine.Snapshot end = leader.awaitStopped();
      assertEquals(JourneyEngine.State.STOPPED, end.state(), end.message());
      assertTrue(end.message().startsWith("handed over"), end.message());
    }
    assertEquals(List.of(), switcher.calls, "the deposed controller undid nothing and switched nothing");

    EtcdStore second = store();
    try (JourneyService next = service(second)) {
      assertTrue(next.interruptedJourney(), "the journal in etcd shows the journey interrupted");
      next.resume();
      JourneyEngine.Snapshot end = next.awaitStopped();
      assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
      assertEquals(Phase.LOGICAL_SETUP, end.phase());
    }
    assertEquals(List.of("a:ARCHIVE_REPLICA", "b:STREAMING_STANDBY", "a:PRIMARY"), nodes.assignments);
    assertEquals(List.of("block", "repoint 10.0.0.5:5432", "unblock"), switcher.calls);
    try (JournalStore journal = store().openJournal(Clock.systemUTC())) {
      Map<String, Long> done = journal.records().stream().filter(r -> r.event() == JournalRecord.Event.STEP_DONE)
          .collect(Collectors.groupingBy(JournalRecord::step, Collectors.counting()));
      assertTrue(done.values().stream().allMatch(n -> n == 1), "every step recorded done once: " + done);
      List<Long> seqs = journal.records().stream().map(JournalRecord::seq).toList();
      assertEquals(seqs.stream().distinct().count(), seqs.size(), "no sequence number twice");
    }
  }
}
