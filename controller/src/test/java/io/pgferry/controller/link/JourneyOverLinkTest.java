package io.pgferry.controller.link;

import io.pgferry.controller.store.FileStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.link.LinkClient;
import io.pgferry.agent.link.LinkSettings;
import io.pgferry.common.Backoff;
import io.pgferry.common.UsageException;
import io.pgferry.controller.daemon.ControllerConfig;
import io.pgferry.controller.daemon.ControllerDaemon;
import io.pgferry.controller.journey.JourneyEngine;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.FakeArchive;
import io.pgferry.testkit.plan.PlanBuilder;
import io.pgferry.testkit.plan.PlanBuilder.PhaseTimeout;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journey over the real link: the controller daemon's directory, agents' LinkClients (canned status), a real
 * PostgreSQL target. PREFLIGHT passes, ARCHIVE_REPLICA's goal reaches agent a over the link, and since the canned
 * agent never becomes an archive replica the wait ends with what a reported.
 */
class JourneyOverLinkTest {
  @TempDir
  Path dir;

  Vertx vertx;
  ControllerDaemon controller;
  final List<LinkClient> clients = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (LinkClient c : clients) {
      c.close();
    }
    if (controller != null) {
      LinkTest.await(controller.close());
    }
    LinkTest.await(vertx.close());
  }

  @Test
  void preflightThenTheArchiveReplicaGoalReachesTheAgent() throws Exception {
    vertx = Vertx.vertx();
    int linkPort = FreePorts.next();
    controller = LinkTest.await(ControllerDaemon.start(vertx, ControllerConfig.parse("c.yaml",
        "listen: {host: 127.0.0.1, port: " + linkPort + "}\ninsecure: true\nhttp: {host: 127.0.0.1, port: 0}\nmetrics: {host: 127.0.0.1, port: 0}\n"
            + "state_dir: " + dir.resolve("controller") + "\nlease_ms: 3000\n")));
    try (Workspace ws = Workspace.create("journey-link"); PgCluster target = PgCluster.start(ws, "target", 15);
         JourneyService journey = new JourneyService(new FileStore(dir.resolve("controller")), controller.directory(),
             JourneySteps.with(JourneyWiring.live(dir.resolve("controller"))), Clock.systemUTC())) {
      String plan = PlanBuilder.plan().archiveTimeout(Duration.ofSeconds(1)).archiveDir(FakeArchive.withBackup(dir.resolve("archive"), "{\"expanded_size_bytes\": 1000}"))
          .target(target.url("postgres")).pollInterval(Duration.ofMillis(50))
          .timeout(PhaseTimeout.ARCHIVE_REPLICA, Duration.ofSeconds(2)).timeout(PhaseTimeout.CUTOVER_1, Duration.ofSeconds(5)).yaml();

      UsageException noAgents = assertThrows(UsageException.class, () -> journey.apply("plan.yaml", plan));
      assertTrue(noAgents.getMessage().contains("unknown node id 'a' (the controller knows: no node yet)"),
          noAgents.getMessage());

      TestAgent a = new TestAgent("a");
      TestAgent b = new TestAgent("b");
      for (TestAgent agent : List.of(a, b)) {
        LinkClient client = new LinkClient(vertx, LinkSettings.insecure("127.0.0.1", linkPort)
            .withBackoff(new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), 2.0))
            .withStatusInterval(Duration.ofMillis(100)), agent);
        clients.add(client);
        LinkTest.await(client.start());
      }
      LinkTest.waitFor("agents connected", () -> controller.directory().all().stream()
          .filter(n -> n.connected() && n.status().getSeq() > 0).count() == 2);

      journey.apply("plan.yaml", plan, true);
      JourneyEngine.Snapshot end = journey.awaitStopped();
      assertEquals(JourneyEngine.State.FAILED, end.state(), end.message());
      assertEquals(Phase.ARCHIVE_REPLICA, end.phase(), end.message());
      assertTrue(end.message().contains("timed out after 2s waiting for a to catch up with the archive; last seen: a:"
          + " STREAMING_STANDBY -> ARCHIVE_REPLICA"), end.message());
      Goal received = a.next(5000).goal();
      assertEquals(NodeState.ARCHIVE_REPLICA, received.getState());
      assertEquals("file://" + dir.resolve("archive"), received.getArchiveUrl());
      assertEquals("10.0.0.5/32", received.getHbaRules(0).getAddress(), "B's address, one host only");
      assertEquals("done", journey.status().phases().get(0).status());
    }
  }
}
