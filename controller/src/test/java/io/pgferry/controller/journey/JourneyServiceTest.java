package io.pgferry.controller.journey;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.wiring.SourceFence;
import io.pgferry.controller.store.FileStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.ArchiveStoreInspector;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.loop.ControllerLoop;
import io.pgferry.controller.standby.SyncWatch;
import io.pgferry.controller.store.Leadership;
import io.pgferry.proto.NodeState;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon side of the journey with its real steps: a real PostgreSQL as the target (PREFLIGHT connects to it),
 * a real archive directory with a backup sentinel; the agents are the in-memory directory double (real agents come
 * with the link and agent branches) and the app switch only records its calls.
 */
class JourneyServiceTest {
  static Workspace ws;
  static PgCluster target;

  @TempDir
  Path stateDir;
  @TempDir
  Path archive;

  final InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.5", 5432, 15)
      .add("b", "10.0.0.6", 5432, 15);
  final RecordingSwitcher switcher = new RecordingSwitcher();

  @BeforeAll
  static void startTarget() {
    ws = Workspace.create("journey-service");
    target = PgCluster.start(ws, "target", 15);
  }

  @AfterAll
  static void stopTarget() {
    target.close();
    ws.close();
  }

  String plan(String targetUrl) {
    return planned(targetUrl).yaml();
  }

  PlanBuilder planned(String targetUrl) {
    FakeArchive.withBackup(archive, "{\"wal_segment_backup_stop\": \"000000010000000000000002\", \"expanded_size_bytes\": 1000000}");
    return TestPlans.engine().archive(archive.toUri().toString().replace("file:/", "file:///")).target(targetUrl);
  }

  JourneyService service() {
    return new JourneyService(new FileStore(stateDir), nodes, JourneySteps.with(new JourneyWiring(p -> switcher,
        SourceFence::new, new ArchiveStoreInspector(), InMemoryNodeDirectory.CLEAN_COLLATION)), Clock.systemUTC());
  }

  @Test
  void runsFromPreflightThroughCutoverOne() throws Exception {
    try (JourneyService service = service()) {
      service.apply("plan.yaml", plan(target.url("postgres")), true);
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertEquals(JourneyEngine.State.WAITING, end.state(), end.message());
      assertEquals(Phase.LOGICAL_SETUP, end.phase());
      assertEquals(List.of("a:ARCHIVE_REPLICA", "b:STREAMING_STANDBY", "a:PRIMARY"), nodes.assignments);
      assertEquals(List.of("block", "repoint 10.0.0.5:5432", "unblock"), switcher.calls);
      assertEquals("10.0.0.5", nodes.goals.get("b").getUpstream().getHost());
      assertEquals("pgferry_b", nodes.goals.get("a").getSettingsMap().get("synchronous_standby_names"));
      assertEquals("10.0.0.6/32", nodes.goals.get("a").getHbaRules(0).getAddress());
      assertEquals(NodeState.PRIMARY, nodes.statuses.get("a").getState());

      var registry = new SimpleMeterRegistry();
      JourneyMetrics.bind(registry, service);
      assertEquals(1.0, registry.get("pgferry_phase").tag("phase", "LOGICAL_SETUP").gauge().value());
      assertEquals(0.0, registry.get("pgferry_phase").tag("phase", "CUTOVER_1").gauge().value());

      JourneyStatus status = service.status();
      assertEquals("WAITING", status.state());
      assertEquals("done", status.phases().get(Phase.CUTOVER_1.ordinal()).status());
      assertEquals("not_reached", status.phases().get(Phase.CUTOVER_2.ordinal()).status());
      assertEquals("archive_replica", status.nodes().get(0).role());
      String json = JourneyJson.MAPPER.writeValueAsString(status);
      assertTrue(json.contains("\"replay_lsn\""), json);
    }
    // a new controller on the same state dir resumes and does nothing twice
    try (JourneyService again = service()) {
      again.resume();
      assertEquals(JourneyEngine.State.WAITING, again.awaitStopped().state());
      assertEquals(3, nodes.assignments.size());
      assertEquals(3, switcher.calls.size());
    }
  }

  /**
   * #14: a plan without a logical: block stops after cutover 1; `pgferry apply --amend` adds the block (no started
   * step used it) but refuses a key cutover 1 used; the journal records the amendment and `resume` runs on with the
   * amended plan instead of failing on the plan's checksum.
   */
  @Test
  void anAmendedPlanAddsTheLogicalBlockAfterCutoverOne() throws Exception {
    String first = plan(target.url("postgres"));
    try (JourneyService service = service()) {
      service.apply("plan.yaml", first, true);
      assertEquals(JourneyEngine.State.WAITING, service.awaitStopped().state());

      var refused = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
          () -> service.amend("plan.yaml", planned(target.url("postgres")).durability("async").yaml()));
      assertTrue(refused.getMessage().contains("+ durability: async"), refused.getMessage());
      assertTrue(refused.getMessage().contains("refused: durability: used by cutover_1.promote_a (done)"),
          refused.getMessage());
      assertEquals(first, Files.readString(stateDir.resolve(JourneyService.PLAN_COPY)), "nothing changed");

      Duration oneSecond = Duration.ofSeconds(1);
      String amended = planned(target.url("postgres"))
          .logical(l -> l.passwords("env:PATH", null).targetAddress("10.0.3.7/32"))
          .connection("probe", oneSecond, oneSecond, oneSecond).connection("admin", oneSecond, oneSecond, oneSecond)
          .yaml();
      String answer = service.amend("plan.yaml", amended);
      assertTrue(answer.contains("+ logical.replication_password: env:PATH"), answer);
      assertTrue(answer.contains("+ logical.target_address: 10.0.3.7/32"), answer);
      assertTrue(answer.contains("`pgferry resume` continues the journey with it"), answer);
      assertEquals(amended, Files.readString(stateDir.resolve(JourneyService.PLAN_COPY)));
      String journal = Files.readString(stateDir.resolve("journey.jsonl"));
      assertTrue(journal.contains("\"PLAN_AMENDED\""), journal);

      service.resume();
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertFalse(end.message().contains("the plan changed"), end.message());
      assertEquals(Phase.LOGICAL_SETUP, end.phase(), end.message());
      assertTrue(Files.readString(stateDir.resolve("journey.jsonl")).contains(JourneyTable.LS_PREFLIGHT),
          "LOGICAL_SETUP ran with the amended plan: " + end.message());
      assertEquals(3, nodes.assignments.size(), "nothing of cutover 1 ran again");
    }
  }

  /** An amendment while the journey holds before cutover 1 (the engine waiting): it stops, and holds again on the new plan. */
  @Test
  void anAmendmentWhileHeldGoesOnWithTheNewPlan() throws Exception {
    try (JourneyService service = service()) {
      service.apply("plan.yaml", plan(target.url("postgres")), false);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!service.status().state().equals("HELD") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals("HELD", service.status().state(), service.status().message());
      String amended = planned(target.url("postgres")).pollInterval(Duration.ofMillis(20)).yaml();
      String answer = service.amend("plan.yaml", amended);
      assertTrue(answer.contains("~ thresholds.poll_interval: "), answer);
      assertTrue(answer.contains("the journey goes on with it"), answer);
      while (!service.status().state().equals("HELD") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals("HELD", service.status().state(), service.status().message());
      assertEquals(Phase.CUTOVER_1, service.currentPhase().orElseThrow());
      assertEquals(List.of("a:ARCHIVE_REPLICA", "b:STREAMING_STANDBY"), nodes.assignments, "nothing ran twice");
      assertEquals(amended, Files.readString(stateDir.resolve(JourneyService.PLAN_COPY)));
      service.abort();
    }
  }

  /** #13: an unusable secret is refused at apply and resume (touching nothing), and is a PREFLIGHT blocker. */
  @Test
  void secretsAreCheckedAtApplyAndInPreflightBeforeAnythingIsTouched() throws Exception {
    try (JourneyService service = service()) {
      String text = planned(target.url("postgres")).appPassword("env:PGFERRY_TEST_UNSET_APP_DB_PASSWORD").yaml();
      var e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
          () -> service.apply("plan.yaml", text, true));
      assertTrue(e.getMessage().contains("error: app.password: env:PGFERRY_TEST_UNSET_APP_DB_PASSWORD is not set"),
          e.getMessage());
      assertFalse(Files.exists(stateDir.resolve(JourneyService.PLAN_COPY)), "nothing kept of a refused plan");
    }
    Path pw = PlanBuilder.writeSecret(archive.resolveSibling(archive.getFileName() + "-app-password"), "app-secret");
    // made readable by others after apply checked it, while PREFLIGHT gathers its facts
    nodes.onNextNodeRead = () -> {
      try {
        Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-r--r--"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    try (JourneyService service = service()) {
      service.apply("plan.yaml", planned(target.url("postgres")).appPassword(PlanBuilder.file(pw)).yaml(), true);
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertEquals(JourneyEngine.State.FAILED, end.state(), end.message());
      assertEquals(Phase.PREFLIGHT, end.phase());
      assertTrue(end.message().contains("app.password: file:" + pw + ": the file may be read by group or others"),
          end.message());
      assertFalse(end.message().contains("app-secret"), end.message());
      assertEquals(List.of(), nodes.assignments, "PREFLIGHT touched nothing");

      var refused = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, service::resume);
      assertTrue(refused.getMessage().contains("error: app.password: file:" + pw), refused.getMessage());
    } finally {
      Files.delete(pw);
    }
  }

  @Test
  void aJourneyInterruptedByARestartResumesByItselfOneStoppedForAPersonDoesNot() throws Exception {
    try (JourneyService service = service()) {
      service.apply("plan.yaml", plan(target.url("postgres")), true);
      assertEquals(JourneyEngine.State.WAITING, service.awaitStopped().state());
    }
    // stopped for a person (the journey waits at a phase this build lacks): a restart leaves it stopped
    try (JourneyService again = service()) {
      assertFalse(again.prepareResume(), "nothing to prepare for a journey stopped for a person");
      assertTrue(again.resumeAfterRestart().isEmpty());
      assertEquals("STOPPED", again.status().state());
    }
    // as after a kill -9 in the middle of a run: the journal's last word is a start, no stop
    try (Journal j = Journal.open(stateDir, Clock.systemUTC())) {
      j.append(JournalRecord.Event.JOURNEY_STARTED, null, null, "resumed", Map.of());
    }
    try (JourneyService again = service()) {
      assertEquals("INTERRUPTED", again.status().state());
      var journaled = again.status().recent();
      assertTrue(again.prepareResume(), "an interrupted journey is prepared for its resume");
      assertEquals("INTERRUPTED", again.status().state(), "preparing starts nothing");
      assertEquals(journaled, again.status().recent(), "preparing journals nothing");
      assertEquals(3, nodes.assignments.size(), "preparing assigns nothing: " + nodes.assignments);
      assertEquals(3, switcher.calls.size(), "preparing switches nothing: " + switcher.calls);
      var msg = again.resumeAfterRestart();
      assertTrue(msg.isPresent() && msg.get().startsWith("resumed automatically"), msg.toString());
      assertEquals(JourneyEngine.State.WAITING, again.awaitStopped().state());
      assertEquals(3, nodes.assignments.size(), "nothing done twice: " + nodes.assignments);
      assertEquals(3, switcher.calls.size(), "nothing done twice: " + switcher.calls);
      assertTrue(again.status().recent().stream().anyMatch(r -> r.event() == JournalRecord.Event.DECISION
          && r.message().startsWith("resumed automatically after a controller restart")), "journaled");
    }
  }

  @Test
  void preflightReportsEveryBlockerAndChangesNothing() throws Exception {
    nodes.hellos.remove("b");
    try (JourneyService service = service()) {
      String text = plan("postgres://app@127.0.0.1:1/appdb").replace("standby: b", "standby: a2");
      var e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
          () -> service.apply("plan.yaml", text, true));
      assertTrue(e.getMessage().contains("unknown node id 'a2' (the controller knows: a)"), e.getMessage());
    }
    nodes.add("b", "10.0.0.6", 5432, 17);
    try (JourneyService service = service()) {
      service.apply("plan.yaml", plan("postgres://app@127.0.0.1:1/appdb"), true);
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertEquals(JourneyEngine.State.FAILED, end.state());
      assertEquals(Phase.PREFLIGHT, end.phase());
      assertTrue(end.message().contains("2 blocker(s)"), end.message());
      assertTrue(end.message().contains("node b: its PostgreSQL binaries are version 17"), end.message());
      assertTrue(end.message().contains("target: cannot connect"), end.message());
      assertTrue(nodes.assignments.isEmpty());
      assertTrue(switcher.calls.isEmpty());
    }
  }

  @Test
  void aFailedBlockLeavesTheAppOnTheSourceAndResumeCompletes() throws Exception {
    switcher.failOn = "block";
    try (JourneyService service = service()) {
      service.apply("plan.yaml", plan(target.url("postgres")), true);
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertEquals(JourneyEngine.State.FAILED, end.state());
      assertTrue(end.message().contains("block failed on purpose"), end.message());
      assertTrue(end.message().contains("the app stays on the source"), end.message());
      assertEquals(List.of("block", "unblock"), switcher.calls);
      assertTrue(nodes.assignments.stream().noneMatch(a -> a.equals("a:PRIMARY")));

      switcher.failOn = null;
      service.resume();
      assertEquals(JourneyEngine.State.WAITING, service.awaitStopped().state());
      assertEquals(List.of("block", "unblock", "block", "repoint 10.0.0.5:5432", "unblock"), switcher.calls);
    }
  }

  @Test
  void abortAfterAControllerStopInTheMiddleOfCutoverOneUnblocksTheApp() throws Exception {
    switcher.onBlock = () -> nodes.stuckLag = 3L;
    try (JourneyService service = service()) {
      service.apply("plan.yaml", plan(target.url("postgres")), true);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (!JourneyTable.C1_WAIT_REPLAYED.equals(service.status().step())) {
        assertTrue(System.nanoTime() < deadline, "never reached " + JourneyTable.C1_WAIT_REPLAYED);
        Thread.sleep(10);
      }
      assertTrue(service.status().progress() == null || service.status().progress().contains("archive_timeout"));
    } // the controller stops with the app blocked
    assertEquals(List.of("block"), switcher.calls);
    try (JourneyService restarted = service()) {
      assertEquals("STOPPED", restarted.status().state());
      restarted.abort();
      JourneyEngine.Snapshot end = restarted.awaitStopped();
      assertEquals(JourneyEngine.State.STOPPED, end.state());
      assertTrue(end.message().contains("undone: writes unblocked"), end.message());
      assertEquals(List.of("block", "unblock"), switcher.calls);
      assertTrue(nodes.assignments.stream().noneMatch(a -> a.equals("a:PRIMARY")));
    }
  }

  /** The same abort as an API call makes it: an intent the controller loop takes in its next cycle, woken at once. */
  @Test
  void anAbortIntentIsRunByTheControllerLoop() throws Exception {
    switcher.onBlock = () -> nodes.stuckLag = 3L;
    try (JourneyService service = service()) {
      service.apply("plan.yaml", plan(target.url("postgres")), true);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (!JourneyTable.C1_WAIT_REPLAYED.equals(service.status().step())) {
        assertTrue(System.nanoTime() < deadline, "never reached " + JourneyTable.C1_WAIT_REPLAYED);
        Thread.sleep(10);
      }
    } // the controller stops with the app blocked
    try (JourneyService restarted = service();
         ControllerLoop loop = new ControllerLoop(restarted, nodes, Leadership.ALWAYS, Clock.systemUTC(),
             new SyncWatch(restarted, nodes, Clock.systemUTC())).start()) {
      assertEquals("abort: stopping the journey where it stands", restarted.requestAbort());
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (!restarted.status().state().equals("STOPPED") || restarted.running()
          || restarted.status().message() == null || !restarted.status().message().contains("undone")) {
        assertTrue(System.nanoTime() < deadline, "the loop never ran the abort: " + loop.lastDecision().sentence());
        Thread.sleep(10);
      }
      assertTrue(restarted.status().message().contains("undone: writes unblocked"), restarted.status().message());
      assertEquals(List.of("block", "unblock"), switcher.calls);
    }
  }

  @Test
  void anAgentErrorIsSurfacedVerbatimWhenTheWaitEnds() throws Exception {
    nodes.failArchiveReplicaWith = "backup-fetch: archive s3://x/y holds no backup_stop_sentinel";
    try (JourneyService service = service()) {
      service.apply("plan.yaml", planned(target.url("postgres")).timeout(PlanBuilder.PhaseTimeout.ARCHIVE_REPLICA, Duration.ofSeconds(1)).yaml(), true);
      JourneyEngine.Snapshot end = service.awaitStopped();
      assertEquals(JourneyEngine.State.FAILED, end.state());
      assertTrue(end.message().contains("timed out after 1s waiting for a to catch up with the archive; last seen: a:"
          + " the agent's last transition failed (it retries): backup-fetch: archive s3://x/y holds no"
          + " backup_stop_sentinel"), end.message());
    }
  }
}
