package io.pgferry.agent.converge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.fence.Lease;
import io.pgferry.agent.state.StateFile;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.common.Backoff;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A permanent error is reported once and not retried until the goal changes; a retriable one is retried. */
class PermanentErrorTest {
  @TempDir
  Path dir;

  private final AtomicInteger attempts = new AtomicInteger();

  private Converger converger(boolean permanent) {
    AgentConfig cfg = new AgentConfig("n", new AgentConfig.Controller("127.0.0.1:7400", true), null,
        new AgentConfig.Postgres(dir.resolve("bin"), dir.resolve("data"), 5432, "127.0.0.1", "127.0.0.1", dir,
            "postgres", "postgres", null, Map.of(), null),
        null, dir.resolve("state"), new AgentConfig.Http("127.0.0.1", 0), null);
    StateFile state = StateFile.open(dir.resolve("state.json"), NodeState.EMPTY);
    TransitionTable<Transition.Factory> table = TransitionTable.<Transition.Factory>builder()
        .row(EnumSet.of(NodeState.EMPTY), NodeState.STREAMING_STANDBY, "fails", (goal, ctx) -> {
          attempts.incrementAndGet();
          throw permanent ? ConvergeError.permanent("data dir holds a different cluster") : new IllegalStateException("refused");
        })
        .build();
    Backoff fast = new Backoff(Duration.ofMillis(10), Duration.ofMillis(20), 1.0);
    return new Converger(new NodeContext(cfg, state, 15), table, fast, Duration.ofMillis(50), (t, s) -> { },
        () -> Lease.NONE, System::nanoTime, () -> { });
  }

  private static Goal standby(long generation) {
    return Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setGeneration(generation).build();
  }

  @Test
  void aPermanentErrorWaitsForANewGoal() throws Exception {
    try (Converger c = converger(true)) {
      c.start();
      c.offerGoal(standby(1));
      await(() -> c.blockedByPermanentError() && attempts.get() == 1);
      long cycles = c.cycles();
      for (int i = 0; i < 5; i++) {
        c.wake(); // a lease renewal, a status tick: nothing that changes the record
        long target = cycles + i + 1;
        await(() -> c.cycles() >= target);
      }
      assertEquals(1, attempts.get(), "not retried while the goal is the same");
      assertEquals("data dir holds a different cluster", c.lastError());
      assertEquals(1, c.failures());

      c.offerGoal(standby(2));
      await(() -> attempts.get() == 2);
      assertTrue(c.blockedByPermanentError());
    }
  }

  @Test
  void aRetriableErrorIsRetried() throws Exception {
    try (Converger c = converger(false)) {
      c.start();
      c.offerGoal(standby(1));
      await(() -> attempts.get() >= 3);
      assertFalse(c.blockedByPermanentError());
      assertEquals("refused", c.lastError());
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out");
      }
      Thread.sleep(10);
    }
  }
}
