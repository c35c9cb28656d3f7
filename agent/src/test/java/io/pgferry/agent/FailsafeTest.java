package io.pgferry.agent;

import static io.pgferry.agent.AgentFixture.await;
import static io.pgferry.agent.AgentFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.fence.LeaseFile;
import io.pgferry.agent.fence.LeasePolicy;
import io.pgferry.common.FailsafeTiming;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue #17 item 5 with real clusters: a PRIMARY whose lease is not renewed keeps taking writes (no gap over 1 s)
 * while its standby streams from it (also across a restart of its agent), and fences within the failsafe window once
 * the standby is gone; a restarted agent goes on with its persisted lease instead of stopping PostgreSQL.
 */
class FailsafeTest {
  private static final Duration T = Duration.ofSeconds(90);
  private static final String B_APP = "pgferry_b";

  @Test
  void primaryServesWhileItsStandbyStreamsAndFencesOnceItIsGone() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("failsafe");
         PgCluster aPg = PgCluster.init(ws, "a", bin, Map.of()).start()) {
      aPg.execute("create table w(id bigserial primary key, at bigint)");
      AgentConfig aCfg = AgentFixture.config(ws, "a", bin, aPg.port());
      AgentConfig bCfg = AgentFixture.config(ws, "b", bin);
      try (PgCluster bPg = AgentFixture.adopt(bCfg, bin);
           NodeAgent a = primaryAgent(aCfg);
           NodeAgent b = new NodeAgent(bCfg, AgentFixture.fastOptions()).start()) {
        b.onAssignment(standby(aPg), OptionalLong.empty());
        awaitState(b, NodeState.STREAMING_STANDBY, T);
        await("b's WAL receiver reported streaming", T, () -> b.status().getWalReceiverDownMs() == -1, () -> b.status().toString());

        // the controller is gone: a lease of 3 s that is never renewed
        long expiresAt = System.nanoTime() + 3_000_000_000L;
        a.onAssignment(primary(), OptionalLong.of(expiresAt));
        try (Writer w = new Writer(aPg)) {
          await("6 s past the lease's expiry", T, () -> System.nanoTime() - expiresAt > 6_000_000_000L, () -> "");
          assertEquals(0, w.firstFailure.get(), "no write refused while b streams from a");
          assertTrue(w.maxGapMs() <= 1000, "write gap " + w.maxGapMs() + " ms while failsafe");
          assertEquals(NodeState.PRIMARY, a.record().state());
          assertTrue(a.status().getFailsafeServing(), "a reports failsafe serving: " + a.status());
          assertTrue(!a.status().getLeaseValid(), "the lease itself ran out");

          // a's agent restarted while failsafe (lease long gone): the new one reads its state and serves on
          a.close();
          try (NodeAgent again = restarted(aCfg)) {
            long restartedAt = System.nanoTime();
            await("2 s more of writes", T, () -> System.nanoTime() - restartedAt > 2_000_000_000L, () -> "");
            assertEquals(0, w.firstFailure.get(), "no write refused across the agent's restart while failsafe");
            assertTrue(w.maxGapMs() <= 1000, "write gap " + w.maxGapMs() + " ms across the agent's restart");
            assertTrue(again.status().getFailsafeServing(), "the new agent serves failsafe: " + again.status());

            // b goes away (agent and PostgreSQL): a's evidence ages out and it fences within the failsafe window
            b.close();
            long bGone = System.nanoTime();
            bPg.stop();
            await("a fenced (a write failed)", T, () -> w.firstFailure.get() != 0, () -> again.status().toString());
            long fencedAfterMs = (w.lastCommit.get() - bGone) / 1_000_000;
            System.out.println("last commit on a " + fencedAfterMs + " ms after b went away; window "
                + FailsafeTiming.window().toMillis() + " ms");
            assertTrue(fencedAfterMs < FailsafeTiming.window().toMillis(), "last commit " + fencedAfterMs
                + " ms after b went away; the controller may promote b " + FailsafeTiming.window().toMillis() + " ms after");
            await("a fenced", T, () -> again.record().state() == NodeState.FENCED && !aPg.isRunning(),
                () -> again.status().toString());
          }
        }
      }
    }
  }

  @Test
  void restartedAgentKeepsItsPrimaryUp() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("failsafe-restart");
         PgCluster aPg = PgCluster.init(ws, "a", bin, Map.of()).start()) {
      aPg.execute("create table w(id bigserial primary key, at bigint)");
      AgentConfig aCfg = AgentFixture.config(ws, "a", bin, aPg.port());
      primaryAgent(aCfg).close();
      // as systemd would: the agent stops, a new one starts on the same state dir; no controller renews meanwhile
      try (Writer w = new Writer(aPg); NodeAgent again = restarted(aCfg)) {
        await("2 s of writes", T, () -> w.commits.get() > 0 && System.nanoTime() - w.startedAt > 2_000_000_000L, () -> "");
        assertEquals(0, w.firstFailure.get(), "no write refused across the agent's restart");
        assertTrue(w.maxGapMs() <= 1000, "write gap " + w.maxGapMs() + " ms across the agent's restart");
        assertEquals(NodeState.PRIMARY, again.record().state());
        assertTrue(again.status().getLeaseValid(), "the persisted lease: " + again.status());
      }
    }
  }

  /**
   * B after a failover: PRIMARY under a goal that names no standby (nobody can be promoted in its place). With the
   * controller gone its lease runs out and it serves on, writes never refused; its agent restarted without a lease
   * file (nothing persisted of the lease) serves on too; a renewal is still honoured.
   */
  @Test
  void aPrimaryWhoseGoalNamesNoStandbyServesOnWithoutALease() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("failsafe-alone");
         PgCluster bPg = PgCluster.init(ws, "b", bin, Map.of()).start()) {
      bPg.execute("create table w(id bigserial primary key, at bigint)");
      AgentConfig cfg = AgentFixture.config(ws, "b", bin, bPg.port());
      Goal alone = AgentFixture.goal(1, NodeState.PRIMARY);
      try (Writer w = new Writer(bPg)) {
        try (NodeAgent b = new NodeAgent(cfg, AgentFixture.fastOptions())) {
          b.leasePolicy(LeasePolicy.CONTROLLED);
          b.start();
          b.onAssignment(alone, OptionalLong.of(System.nanoTime() + 60_000_000_000L));
          awaitState(b, NodeState.PRIMARY, T);
          long expiresAt = System.nanoTime() + 2_000_000_000L;
          b.onAssignment(alone, OptionalLong.of(expiresAt)); // never renewed
          await("4 s past the lease's expiry", T, () -> System.nanoTime() - expiresAt > 4_000_000_000L, () -> "");
          assertEquals(0, w.firstFailure.get(), "no write refused: " + b.status());
          assertEquals(NodeState.PRIMARY, b.record().state());
          assertTrue(!b.status().getLeaseValid() && b.status().getFailsafeServing(), "lease lapsed, serving: " + b.status());
        }
        Files.deleteIfExists(cfg.stateDir().resolve(LeaseFile.NAME));
        try (NodeAgent again = restarted(cfg)) {
          long restartedAt = System.nanoTime();
          await("2 s more of writes", T, () -> System.nanoTime() - restartedAt > 2_000_000_000L, () -> "");
          assertEquals(0, w.firstFailure.get(), "no write refused across the agent's restart: " + again.status());
          assertEquals(NodeState.PRIMARY, again.record().state());
          assertTrue(bPg.isRunning());
          assertTrue(w.maxGapMs() <= 1000, "write gap " + w.maxGapMs() + " ms");
          again.onAssignment(alone, OptionalLong.of(System.nanoTime() + 60_000_000_000L));
          await("the renewal is honoured", T, () -> again.status().getLeaseValid() && !again.status().getFailsafeServing(),
              () -> again.status().toString());
        }
      }
    }
  }

  /** A new agent on the state dir of one that stopped (as systemd would start it), after three converger cycles. */
  private static NodeAgent restarted(AgentConfig cfg) {
    NodeAgent again = new NodeAgent(cfg, AgentFixture.fastOptions());
    again.leasePolicy(LeasePolicy.CONTROLLED);
    again.start();
    long cycles = again.converger().cycles();
    try {
      await("three converger cycles of the new agent", T, () -> again.converger().cycles() >= cycles + 3, () -> "");
    } catch (RuntimeException | Error e) {
      again.close();
      throw e;
    }
    return again;
  }

  /** An agent under goals from a controller, PRIMARY with a lease of 60 s (renewed by nothing after that). */
  private static NodeAgent primaryAgent(AgentConfig cfg) {
    NodeAgent a = new NodeAgent(cfg, AgentFixture.fastOptions());
    a.leasePolicy(LeasePolicy.CONTROLLED);
    a.start();
    a.onAssignment(primary(), OptionalLong.of(System.nanoTime() + 60_000_000_000L));
    awaitState(a, NodeState.PRIMARY, T);
    return a;
  }

  private static Goal primary() {
    return AgentFixture.goal(1, NodeState.PRIMARY).toBuilder().setFailsafeStandby(B_APP).build();
  }

  private static Goal standby(PgCluster upstream) {
    Goal g = AgentFixture.standbyOf(1, upstream);
    return g.toBuilder().setUpstream(g.getUpstream().toBuilder().setApplicationName(B_APP))
        .putSettings("wal_receiver_status_interval", FailsafeTiming.STANDBY_STATUS_INTERVAL.toSeconds() + "s").build();
  }

  /** One session inserting as fast as it can; the longest time between two commits, the first refused write. */
  private static final class Writer implements AutoCloseable {
    final AtomicLong lastCommit = new AtomicLong();
    final AtomicLong firstFailure = new AtomicLong();
    final AtomicLong maxGapNanos = new AtomicLong();
    final AtomicLong commits = new AtomicLong();
    final long startedAt = System.nanoTime();
    private volatile boolean stop;
    private final Thread thread;

    Writer(PgCluster pg) {
      thread = new Thread(() -> {
        while (!stop && firstFailure.get() == 0) {
          try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            while (!stop) {
              st.execute("insert into w(at) values (1)");
              long now = System.nanoTime();
              long before = lastCommit.getAndSet(now);
              if (before != 0) {
                maxGapNanos.accumulateAndGet(now - before, Math::max);
              }
              commits.incrementAndGet();
              Thread.sleep(10);
            }
          } catch (SQLException e) {
            firstFailure.compareAndSet(0, System.nanoTime());
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "failsafe-writer");
      thread.start();
    }

    long maxGapMs() {
      return maxGapNanos.get() / 1_000_000;
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(10_000);
    }
  }
}
