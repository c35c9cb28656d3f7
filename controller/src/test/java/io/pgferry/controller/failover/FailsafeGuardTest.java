package io.pgferry.controller.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The controller never promotes B while B streams from A, nor before A's failsafe window has passed. */
class FailsafeGuardTest {
  static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
  static final Duration WINDOW = Duration.ofSeconds(5);

  @Test
  void neverWhileBStreamsFromA() {
    FailsafeGuard.Decision d = FailsafeGuard.decide("b", true, "streaming", -1, NOW, WINDOW, NOW.plusSeconds(3600));
    assertFalse(d.mayPromote(), d.reason());
    assertTrue(d.reason().contains("streams from the old primary"), d.reason());
  }

  @Test
  void neverWhileBsAgentIsSilent() {
    assertFalse(FailsafeGuard.decide("b", false, "", 60_000, NOW, WINDOW, NOW).mayPromote());
    assertFalse(FailsafeGuard.decide("b", true, "", 60_000, null, WINDOW, NOW).mayPromote());
  }

  @Test
  void onlyOnceBsReceiverHasBeenDownForTheWindow() {
    // B's Status, received at NOW, says its receiver went down 2 s before: not before NOW - 2 s + 5 s
    FailsafeGuard.Decision early = FailsafeGuard.decide("b", true, "", 2000, NOW, WINDOW, NOW.plusSeconds(2));
    assertFalse(early.mayPromote(), early.reason());
    assertEquals(NOW.plusSeconds(3), early.notBefore());
    FailsafeGuard.Decision onTime = FailsafeGuard.decide("b", true, "", 2000, NOW, WINDOW, NOW.plusSeconds(3));
    assertTrue(onTime.mayPromote(), onTime.reason());
  }

  @Test
  void aReceiverReportedStreamingWithADownTimeIsStillStreaming() {
    assertFalse(FailsafeGuard.decide("b", true, "streaming", 10_000, NOW, WINDOW, NOW.plusSeconds(60)).mayPromote());
  }

  @Test
  void onlyAStandbyThePrimarysGoalNamedReplacesIt() {
    assertTrue(FailsafeGuard.standbyNamed("a", "pgferry_b", "b", "pgferry_b", false).mayPromote());
    FailsafeGuard.Decision none = FailsafeGuard.standbyNamed("a", "", "b", "pgferry_b", false);
    assertFalse(none.mayPromote(), "a primary naming no standby serves on without a lease: " + none.reason());
    assertTrue(none.reason().contains("no standby"), none.reason());
    assertFalse(FailsafeGuard.standbyNamed("a", "pgferry_c", "b", "pgferry_b", false).mayPromote(), "another standby");
    assertFalse(FailsafeGuard.standbyNamed("a", null, "b", "pgferry_b", false).mayPromote());
    assertTrue(FailsafeGuard.standbyNamed("a", "", "b", "pgferry_b", true).mayPromote(), "a acknowledged FENCED");
  }
}
