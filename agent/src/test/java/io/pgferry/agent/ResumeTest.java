package io.pgferry.agent;

import static io.pgferry.agent.AgentFixture.await;
import static io.pgferry.agent.AgentFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.agent.state.StateFile;
import io.pgferry.proto.NodeState;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.pgferry.agent.metrics.AgentMetrics;
import io.pgferry.agent.metrics.HttpEndpoint;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.Test;

/**
 * An agent stopped right after its base backup step resumes from the state file (no second pg_basebackup), and a
 * further agent on the same state with the same goal does nothing at all.
 */
class ResumeTest {
  private static final Duration T = Duration.ofSeconds(90);

  @Test
  void restartedAgentResumesAndSameGoalDoesNothingTwice() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("resume"); PgCluster primary = PgCluster.start(ws, "primary", 15)) {
      primary.execute("create table t(id int)", "insert into t values (1)");
      AgentConfig cfg = AgentFixture.config(ws, "b", bin);
      try (PgCluster bPg = AgentFixture.adopt(cfg, bin)) {
        CountDownLatch backupDone = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        NodeAgent.Options halting = AgentFixture.fastOptions().withStepListener((transition, step) -> {
          if (step.equals("base backup")) {
            backupDone.countDown();
            never.await(); // the agent "dies" here: close() interrupts it
          }
        });
        try (NodeAgent first = new NodeAgent(cfg, halting).start()) {
          first.onAssignment(AgentFixture.standbyOf(1, primary), OptionalLong.empty());
          assertTrue(backupDone.await(T.toSeconds(), TimeUnit.SECONDS));
          assertEquals(1, first.pgBaseBackupRuns());
        }
        assertEquals(NodeState.EMPTY, read(cfg).state());
        assertEquals(List.of("rebuild check", "base backup"), read(cfg).completedSteps());
        assertFalse(bPg.isRunning());

        try (NodeAgent second = new NodeAgent(cfg, AgentFixture.fastOptions()).start()) {
          awaitState(second, NodeState.STREAMING_STANDBY, T);
          assertEquals(0, second.pgBaseBackupRuns(), "the resumed agent must not back up again");
          assertEquals(List.of("STREAMING_STANDBY/recovery config", "STREAMING_STANDBY/start"), second.context().actedSteps());
        }
        primary.execute("insert into t values (2)");
        await("row 2 on b", T, () -> "2".equals(StreamingStandbyTest.query(bPg, "select max(id) from t")), bPg::log);

        String stateBefore = Files.readString(cfg.stateDir().resolve("state.json"));
        NodeAgent.Options fast = AgentFixture.fastOptions();
        NodeAgent.Options slowReconcile = new NodeAgent.Options(fast.observeEvery(), Duration.ofMinutes(10), fast.backoff(),
            fast.stepListener(), fast.transitions(), fast.extraBackupProviders());
        Vertx vertx = Vertx.vertx();
        try (NodeAgent third = new NodeAgent(cfg, slowReconcile).start()) {
          third.onAssignment(AgentFixture.standbyOf(1, primary), OptionalLong.empty());
          long cycles = third.converger().cycles();
          third.converger().wake();
          await("a converger cycle", T, () -> third.converger().cycles() >= cycles + 1, () -> "");
          assertEquals(NodeState.STREAMING_STANDBY, third.status().getState());
          assertEquals(List.of(), third.context().actedSteps());
          assertEquals(0, third.pgBaseBackupRuns());
          assertEquals(stateBefore, Files.readString(cfg.stateDir().resolve("state.json")), "same goal: state file untouched");

          // /health: 503 while the standby should run but does not; the next reconcile starts it again
          HttpEndpoint endpoint = new HttpEndpoint(vertx, third, new AgentMetrics(third));
          endpoint.listen("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
          WebClient web = WebClient.create(vertx);
          assertEquals(200, health(web, endpoint.port()));
          bPg.stop();
          await("/health 503", T, () -> health(web, endpoint.port()) == 503, () -> third.status().toString());
          third.converger().wake();
          await("/health 200 again", T, () -> health(web, endpoint.port()) == 200 && third.status().getPgReachable(),
              () -> third.status().toString());
          assertEquals(List.of(), third.context().actedSteps(), "reconciling is not a transition step");
        } finally {
          vertx.close();
        }
      }
    }
  }

  private static int health(WebClient web, int port) {
    try {
      return web.get(port, "127.0.0.1", "/health").send().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
          .statusCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static NodeRecord read(AgentConfig cfg) {
    return StateFile.open(cfg.stateDir().resolve("state.json"), NodeState.NODE_STATE_UNSPECIFIED).get();
  }
}
