package io.pgferry.controller.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.failover.FailureDetector.Kind;
import io.pgferry.controller.failover.FailureDetector.NodeSeen;
import io.pgferry.controller.failover.FailureDetector.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The failover decisions as pure functions of a snapshot and the time. */
class FailureDetectorTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration FIVE = Duration.ofSeconds(5);

  private static Snapshot at(long ms, NodeSeen a, NodeSeen b) {
    return new Snapshot(T0.plusMillis(ms), T0, a, b);
  }

  private static NodeSeen a(boolean connected, long lastSeenMs, long pgOkMs, boolean sendsToB) {
    return new NodeSeen("a", connected, T0.plusMillis(lastSeenMs), T0.plusMillis(pgOkMs), "", null, sendsToB);
  }

  private static NodeSeen b(boolean connected, long lastSeenMs, String walReceiver) {
    return new NodeSeen("b", connected, T0.plusMillis(lastSeenMs), null, walReceiver, null, false);
  }

  @Test
  void oneMissedHeartbeatIsNotAFailure() {
    var v = FailureDetector.primaryFailed(at(11_000, a(false, 10_000, 10_000, false), b(true, 11_000, "")), FIVE);
    assertEquals(Kind.SUSPECT, v.kind(), v.reason());
  }

  @Test
  void failedWhenLinkAndPostgresSilentAndBsReceiverDown() {
    var v = FailureDetector.primaryFailed(at(15_100, a(false, 10_000, 10_000, false), b(true, 15_000, "")), FIVE);
    assertTrue(v.failed(), v.reason());
    assertEquals("5100", v.evidence().get("a_link_silent_ms"));
  }

  @Test
  void postgresStillReachableIsNoFailure() {
    var v = FailureDetector.primaryFailed(at(15_100, a(false, 10_000, 15_000, false), b(true, 15_000, "")), FIVE);
    assertEquals(Kind.SUSPECT, v.kind(), v.reason());
  }

  @Test
  void bStillStreamingMeansAPartitionNotAFailure() {
    var v = FailureDetector.primaryFailed(at(15_100, a(false, 10_000, 10_000, false), b(true, 15_000, "streaming")), FIVE);
    assertEquals(Kind.SUSPECT, v.kind());
    assertTrue(v.reason().contains("partition"), v.reason());
  }

  @Test
  void bSilentTooMeansNoFailover() {
    var v = FailureDetector.primaryFailed(at(15_100, a(false, 10_000, 10_000, false), b(false, 9_000, "")), FIVE);
    assertEquals(Kind.SUSPECT, v.kind());
  }

  @Test
  void healthy() {
    var v = FailureDetector.primaryFailed(at(15_000, a(true, 15_000, 15_000, true), b(true, 15_000, "streaming")), FIVE);
    assertEquals(Kind.HEALTHY, v.kind());
  }

  @Test
  void standbyLostOnlyAfterItsLinkWasSilentLongEnough() {
    assertEquals(Kind.SUSPECT, FailureDetector.standbyLost(at(12_000, a(true, 12_000, 12_000, false), b(false, 10_000, "")), FIVE).kind());
    assertTrue(FailureDetector.standbyLost(at(15_000, a(true, 15_000, 15_000, false), b(false, 10_000, "")), FIVE).failed());
    assertEquals(Kind.HEALTHY, FailureDetector.standbyLost(at(15_000, a(true, 15_000, 15_000, true), b(false, 10_000, "")), FIVE).kind());
  }

  @Test
  void splitBrainRuleWaitsForLeaseExpiryPlusMargin() {
    Instant expiry = T0.plusSeconds(10);
    Duration margin = Duration.ofSeconds(2);
    assertFalse(SplitBrainRule.decide(Optional.of(expiry), T0, Duration.ofSeconds(10), margin, false, T0.plusSeconds(11)).mayPromote());
    assertTrue(SplitBrainRule.decide(Optional.of(expiry), T0, Duration.ofSeconds(10), margin, false, T0.plusSeconds(12)).mayPromote());
    // unknown lease: assume max_lease from the failover's start
    assertFalse(SplitBrainRule.decide(Optional.empty(), T0, Duration.ofSeconds(10), margin, false, T0.plusSeconds(11)).mayPromote());
    // an agent that acknowledged FENCED with PostgreSQL stopped: no wait
    assertTrue(SplitBrainRule.decide(Optional.of(expiry), T0, Duration.ofSeconds(10), margin, true, T0).mayPromote());
  }

  private static FailureDetector.Verdict replica(boolean connected, long lastSeenMs, long pgOkMs, boolean failing, long nowMs) {
    return FailureDetector.replicaLost(new NodeSeen("a", connected, T0.plusMillis(lastSeenMs), T0.plusMillis(pgOkMs), "",
        null, false), failing, T0.plusMillis(nowMs), T0, FIVE);
  }

  @Test
  void aReplicaWhoseAgentRestartsPostgresIsNotLost() {
    assertEquals(Kind.SUSPECT, replica(true, 20_000, 10_000, false, 20_000).kind(), "agent up, converging");
    assertEquals(Kind.SUSPECT, replica(false, 10_000, 10_000, false, 14_000).kind(), "not yet detect_after");
    assertEquals(Kind.HEALTHY, replica(true, 20_000, 20_000, false, 20_000).kind());
  }

  @Test
  void aReplicaIsLostWhenPostgresStaysDownAndItsAgentIsSilentOrFailing() {
    var silent = replica(false, 10_000, 10_000, false, 15_000);
    assertTrue(silent.failed(), silent.reason());
    assertTrue(silent.reason().contains("agent silent 5000 ms"), silent.reason());
    var failing = replica(true, 20_000, 10_000, true, 20_000);
    assertTrue(failing.failed(), failing.reason());
    assertEquals("true", failing.evidence().get("agent_failing"));
    assertFalse(replica(true, 20_000, 17_000, true, 20_000).failed(), "PostgreSQL down only 3 s");
  }
}
