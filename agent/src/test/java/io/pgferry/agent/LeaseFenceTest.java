package io.pgferry.agent;

import static io.pgferry.agent.AgentFixture.await;
import static io.pgferry.agent.AgentFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.fence.LeaseFile;
import io.pgferry.agent.fence.LeasePolicy;
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
 * A PRIMARY whose lease is not renewed stops accepting writes before the lease expires; a renewal lifts the fence;
 * a restarted agent holding a PRIMARY goal without a lease (and no standby streaming from it) fences until the lease
 * is renewed. Its goal names a standby (here one that never streams): a primary whose goal names none serves on
 * (FailsafeTest).
 */
class LeaseFenceTest {
  private static final Duration T = Duration.ofSeconds(60);

  /**
   * A PRIMARY goal whose lease is not valid (none, or already too old when it arrives) makes the converger wait; the
   * lease granted next wakes it: PRIMARY well before the next reconcile (30 s here), not at it.
   */
  @Test
  void aLeaseGrantedWhileThePromotionWaitsForOneWakesIt() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("lease-wake");
         PgCluster primary = PgCluster.start(ws, "primary", 15)) {
      AgentConfig cfg = AgentFixture.config(ws, "b", bin);
      NodeAgent.Options fast = AgentFixture.fastOptions();
      NodeAgent.Options slowReconcile = new NodeAgent.Options(fast.observeEvery(), Duration.ofSeconds(30), fast.backoff(),
          fast.stepListener(), fast.transitions(), fast.extraBackupProviders());
      try (PgCluster bPg = AgentFixture.adopt(cfg, bin); NodeAgent a = new NodeAgent(cfg, slowReconcile)) {
        a.leasePolicy(LeasePolicy.CONTROLLED);
        a.start();
        a.onAssignment(AgentFixture.standbyOf(1, primary), OptionalLong.empty());
        awaitState(a, NodeState.STREAMING_STANDBY, T);
        a.onAssignment(AgentFixture.goal(2, NodeState.PRIMARY), OptionalLong.empty());
        await("the converger waits for a lease", T, () -> a.status().getTransition().contains("waiting for a valid lease"),
            () -> a.status().getTransition());
        long granted = System.nanoTime();
        a.onAssignment(AgentFixture.goal(2, NodeState.PRIMARY), OptionalLong.of(System.nanoTime() + 60_000_000_000L));
        awaitState(a, NodeState.PRIMARY, T);
        long ms = (System.nanoTime() - granted) / 1_000_000;
        assertTrue(ms < 10_000, "PRIMARY " + ms + " ms after the lease was granted: the converger slept until its reconcile");
      }
    }
  }

  @Test
  void primaryFencesBeforeItsLeaseExpires() throws Exception {
    PgBinaries bin = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("lease-fence");
         PgCluster pg = PgCluster.init(ws, "a", bin, Map.of()).start()) {
      pg.execute("create table w(id bigserial primary key, at bigint)");
      AgentConfig cfg = AgentFixture.config(ws, "a", bin, pg.port());
      try (NodeAgent a = new NodeAgent(cfg, AgentFixture.fastOptions())) {
        a.leasePolicy(LeasePolicy.CONTROLLED);
        a.start();
        a.onAssignment(primaryNamingB(), OptionalLong.of(System.nanoTime() + 30_000_000_000L));
        awaitState(a, NodeState.PRIMARY, T);

        // a lease of 4 s that is never renewed; writes go on meanwhile
        long expiresAt = System.nanoTime() + 4_000_000_000L;
        a.onAssignment(primaryNamingB(), OptionalLong.of(expiresAt));
        AtomicLong lastCommit = new AtomicLong();
        AtomicLong firstFailure = new AtomicLong();
        Thread writer = new Thread(() -> {
          while (firstFailure.get() == 0) {
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
              while (true) {
                st.execute("insert into w(at) values (1)");
                lastCommit.set(System.nanoTime());
              }
            } catch (SQLException e) {
              firstFailure.compareAndSet(0, System.nanoTime());
            }
          }
        });
        writer.start();
        await("the fence (a write failed)", T, () -> firstFailure.get() != 0, () -> a.status().toString());
        writer.join(10_000);
        long failedBeforeMs = (expiresAt - firstFailure.get()) / 1_000_000;
        long lastCommitBeforeMs = (expiresAt - lastCommit.get()) / 1_000_000;
        System.out.println("writes refused " + failedBeforeMs + " ms before the lease expiry; last commit " + lastCommitBeforeMs + " ms before it");
        assertTrue(lastCommit.get() != 0, "writes were accepted while the lease was valid");
        assertTrue(expiresAt - lastCommit.get() > 0, "no commit after the lease expiry: last one " + lastCommitBeforeMs + " ms before it");
        assertTrue(expiresAt - firstFailure.get() > 0, "writes refused before the lease expired (" + failedBeforeMs + " ms before)");
        await("fenced", T, () -> a.record().state() == NodeState.FENCED && a.status().getFenced(), () -> a.status().toString());
        await("past the expiry", T, () -> System.nanoTime() - expiresAt > 0, () -> "");
        assertThrows(SQLException.class, () -> {
          try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("insert into w(at) values (2)");
          }
        }, "a write after the fence fails");
        assertTrue(!pg.isRunning());

        // the controller renews the same PRIMARY goal: the fence is lifted
        a.onAssignment(primaryNamingB(), OptionalLong.of(System.nanoTime() + 60_000_000_000L));
        await("a renewed to PRIMARY", Duration.ofSeconds(30), () -> a.record().converged() && a.record().state() == NodeState.PRIMARY,
            () -> a.record() + " / " + a.status());
        await("writes accepted again", T, () -> writes(pg), () -> a.status().toString());
      }

      // a restarted agent: PRIMARY persisted, no lease (its lease file gone) -> fenced until renewed (with the lease
      // file it would go on with the persisted lease: FailsafeTest)
      Files.deleteIfExists(cfg.stateDir().resolve(LeaseFile.NAME));
      try (NodeAgent again = new NodeAgent(cfg, AgentFixture.fastOptions())) {
        again.leasePolicy(LeasePolicy.CONTROLLED);
        again.start();
        await("restarted agent fenced", T, () -> again.record().state() == NodeState.FENCED && !pg.isRunning(),
            () -> again.status().toString());
        long cycles = again.converger().cycles();
        await("two more converger cycles", T, () -> again.converger().cycles() >= cycles + 2, () -> "");
        assertTrue(!pg.isRunning(), "stays fenced without a lease");
        again.onAssignment(primaryNamingB(), OptionalLong.of(System.nanoTime() + 60_000_000_000L));
        awaitState(again, NodeState.PRIMARY, T);
        await("writes accepted after the renewal", T, () -> writes(pg), () -> again.status().toString());
      }
    }
  }

  /** A's goal in a journey: it names B, the standby the controller would promote (B never streams here). */
  private static Goal primaryNamingB() {
    return AgentFixture.goal(1, NodeState.PRIMARY).toBuilder().setFailsafeStandby("pgferry_b").build();
  }

  private static boolean writes(PgCluster pg) {
    try (Connection c = pg.connect(); Statement st = c.createStatement()) {
      st.execute("insert into w(at) values (3)");
      return true;
    } catch (SQLException e) {
      return false;
    }
  }
}
