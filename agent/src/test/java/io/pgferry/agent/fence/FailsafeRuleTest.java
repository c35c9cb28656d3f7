package io.pgferry.agent.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.cluster.Observation;
import io.pgferry.common.Lsn;
import io.pgferry.proto.Replica;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The failsafe decision (lease, standby's evidence, time -> serve or fence) and the evidence read from one observation. */
class FailsafeRuleTest {
  static final long NOW = 1_000_000_000_000L;
  static final long S = 1_000_000_000L;
  static final Duration MAX_AGE = Duration.ofSeconds(3);

  @Test
  void aValidLeaseServesWhateverTheStandby() {
    FailsafeRule.Decision d = FailsafeRule.decide(Lease.until(NOW + S), false, null, NOW);
    assertEquals(FailsafeRule.Verdict.SERVE_LEASED, d.verdict());
    assertEquals(NOW + S, d.enforce().expiresAtNanos());
  }

  @Test
  void noLeaseNeededServes() {
    assertEquals(FailsafeRule.Verdict.SERVE_LEASED, FailsafeRule.decide(Lease.NONE, false, null, NOW).verdict());
  }

  @Test
  void anExpiredLeaseWithAFreshStandbyServesUntilTheEvidenceAgesOut() {
    FailsafeRule.Decision d = FailsafeRule.decide(Lease.until(NOW - S), false, NOW + 2 * S, NOW);
    assertEquals(FailsafeRule.Verdict.SERVE_FAILSAFE, d.verdict());
    assertTrue(d.failsafe());
    assertFalse(d.enforce().expired(NOW));
    assertTrue(d.enforce().expired(NOW + 2 * S), "the failsafe lasts exactly as long as the evidence");
  }

  @Test
  void anExpiredLeaseWithoutStandbyFences() {
    assertEquals(FailsafeRule.Verdict.FENCE, FailsafeRule.decide(Lease.until(NOW - S), false, null, NOW).verdict());
    assertEquals(FailsafeRule.Verdict.FENCE, FailsafeRule.decide(Lease.until(NOW - S), false, NOW, NOW).verdict(),
        "evidence that ends now is no evidence");
    assertEquals(FailsafeRule.Verdict.FENCE, FailsafeRule.decide(LeasePolicy.expiredAt(NOW), false, NOW - S, NOW).verdict());
  }

  @Test
  void aPrimaryAloneServesOnWithoutLeaseOrEvidence() {
    FailsafeRule.Decision d = FailsafeRule.decide(Lease.until(NOW - S), true, null, NOW);
    assertEquals(FailsafeRule.Verdict.SERVE_ALONE, d.verdict());
    assertTrue(d.failsafe(), "reported as serving on a lapsed lease");
    assertFalse(d.enforce().expired(NOW + 3600 * S), "nothing runs out: no node can be promoted in its place");
    assertEquals(FailsafeRule.Verdict.SERVE_ALONE, FailsafeRule.decide(LeasePolicy.expiredAt(NOW), true, null, NOW).verdict(),
        "none held (a restarted agent without a lease file): serves on too");
    assertEquals(FailsafeRule.Verdict.SERVE_LEASED, FailsafeRule.decide(Lease.until(NOW + S), true, null, NOW).verdict(),
        "a valid lease is the lease");
  }

  @Test
  void evidenceIsTheStandbysLastReplyPlusTheMaxAge() {
    Observation o = primary(150000, -1, replica("pgferry_b", "streaming", 400));
    assertEquals(NOW - 400_000_000L + 3 * S, StandbyEvidence.until(o, "pgferry_b", MAX_AGE));
  }

  @Test
  void noEvidenceFromAnotherStandbyAStaleReplyOrAReplicaNotStreaming() {
    assertEquals(null, StandbyEvidence.until(primary(150000, -1, replica("pgferry_c", "streaming", 10)), "pgferry_b", MAX_AGE));
    assertEquals(null, StandbyEvidence.until(primary(150000, -1, replica("pgferry_b", "streaming", 3000)), "pgferry_b", MAX_AGE));
    assertEquals(null, StandbyEvidence.until(primary(150000, -1, replica("pgferry_b", "catchup", 10)), "pgferry_b", MAX_AGE));
    assertEquals(null, StandbyEvidence.until(primary(150000, -1, replica("pgferry_b", "streaming", -1)), "pgferry_b", MAX_AGE));
    assertEquals(null, StandbyEvidence.until(primary(150000, -1, replica("pgferry_b", "streaming", 10)), "", MAX_AGE),
        "a goal without failsafe_standby: no failsafe");
  }

  @Test
  void pg11CountsOnlyWithAShortWalSenderTimeout() {
    Observation defaults = primary(110000, 60_000, replica("pgferry_b", "streaming", -1));
    assertEquals(null, StandbyEvidence.until(defaults, "pgferry_b", MAX_AGE), "wal_sender_timeout 60 s: a row may be 60 s stale");
    Observation shortTimeout = primary(110000, 2_000, replica("pgferry_b", "streaming", -1));
    assertEquals(NOW - 2 * S + 3 * S, StandbyEvidence.until(shortTimeout, "pgferry_b", MAX_AGE));
  }

  @Test
  void theLeaseAndTheEvidenceSurviveARestartOnTheWallClock(@TempDir Path dir) {
    LeaseFile f = new LeaseFile(dir);
    assertEquals(LeaseFile.Held.NONE, f.read(NOW, 1_000_000));
    f.write(NOW + 5 * S, NOW + 2 * S, NOW, 1_000_000);
    // "after the restart": another nanoTime origin, 1 s later on the wall clock
    LeaseFile.Held held = f.read(7L, 1_001_000);
    assertEquals(7L + 4 * S, held.leaseExpiresAtNanos());
    assertEquals(7L + S, held.standbyUntilNanos());
    LeaseFile.Held later = f.read(7L, 1_003_000);
    assertEquals(null, later.standbyUntilNanos(), "past evidence is dropped");
  }

  private static Replica replica(String app, String state, long replyAgeMs) {
    return Replica.newBuilder().setApplicationName(app).setState(state).setReplyAgeMs(replyAgeMs).build();
  }

  private static Observation primary(int versionNum, long walSenderTimeoutMs, Replica... replicas) {
    return new Observation(NOW, true, true, versionNum, false, 2, Lsn.INVALID, Lsn.INVALID, Lsn.INVALID, 0, 0, "", "",
        List.of(), List.of(replicas), "", walSenderTimeoutMs, "");
  }
}
