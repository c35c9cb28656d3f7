package io.pgferry.agent;

import io.pgferry.testkit.Await;
import static org.junit.jupiter.api.Assertions.fail;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.common.Backoff;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Builds agent configs for nodes in a test workspace, and polls with deadlines. */
public final class AgentFixture {
  static final Backoff FAST = new Backoff(Duration.ofMillis(50), Duration.ofMillis(300), 2.0);

  private AgentFixture() {}

  static AgentConfig config(Workspace ws, String name, PgBinaries bin) {
    return config(ws, name, bin, FreePorts.next());
  }

  static AgentConfig config(Workspace ws, String name, PgBinaries bin, int port) {
    return new AgentConfig(name,
        new AgentConfig.Controller("127.0.0.1:7400", true),
        null,
        new AgentConfig.Postgres(bin.binDir(), ws.root().resolve(name), port, "127.0.0.1", "127.0.0.1",
            ws.dir("sock"), "postgres", "postgres", null, Map.of("fsync", "off", "hot_standby", "on"), null),
        null,
        ws.root().resolve(name + "-state"),
        new AgentConfig.Http("127.0.0.1", 0),
        null);
  }

  static NodeAgent.Options fastOptions() {
    NodeAgent.Options d = NodeAgent.Options.defaults();
    return new NodeAgent.Options(Duration.ofMillis(300), Duration.ofSeconds(1), FAST, d.stepListener(),
        d.transitions(), d.extraBackupProviders());
  }

  static Goal standbyOf(long generation, PgCluster upstream) {
    return standbyOf(generation, upstream.host(), upstream.port());
  }

  static Goal standbyOf(long generation, String host, int port) {
    return Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setGeneration(generation)
        .setUpstream(Upstream.newBuilder().setHost(host).setPort(port).setUser("postgres")).build();
  }

  static Goal goal(long generation, NodeState state) {
    return Goal.newBuilder().setState(state).setGeneration(generation).build();
  }

  /** The agent's PostgreSQL as a PgCluster, so the test always stops it (try-with-resources). */
  static PgCluster adopt(AgentConfig cfg, PgBinaries bin) {
    return PgCluster.adopt(cfg.nodeId(), bin, cfg.postgres().dataDir(), cfg.postgres().port());
  }

  public static void await(String what, Duration timeout, BooleanSupplier condition, Supplier<String> diagnostics) {
    Await.until(what, timeout, condition::getAsBoolean, diagnostics);
  }

  static void awaitState(NodeAgent agent, NodeState state, Duration timeout) {
    await(agent.config().nodeId() + " to reach " + state, timeout,
        () -> agent.record().converged() && agent.record().state() == state && agent.status().getState() == state,
        () -> "status: " + agent.status().toString().replace('\n', ' '));
  }

  static Path path(Workspace ws, String name) {
    return ws.root().resolve(name);
  }
}
