package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.scenario.CrashPoint;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The demo's whole journey (A killed during LOGICAL_SYNC, FAILOVER to B) with 3 controllers on a real 3-member etcd:
 * the leader is killed (kill -9) right after cutover 1 promoted A (writes still blocked) and while the failover waits
 * for A's lease to run out (writes paused). A follower continues each time with no human action; the journey
 * finishes through the failover and cutover 2; the ledger on T is clean; no step is done twice; B is promoted once;
 * the journey is without a leader for at most the etcd lease + 2 s each time ({@link EtcdLeaderLossIT}).
 */
@Tag("slow")
class EtcdLeaderLossFailoverIT {
  @Test
  void followersContinueAfterPromoteAAndDuringTheFailoversLeaseWait() {
    JourneyResult r = ScenarioRuns.run("etcd-leader-loss-failover", JourneyScenario.Options.wholeJourney().controllersOnEtcd(3)
        .crashControllerAt(CrashPoint.PROMOTED, CrashPoint.FAILOVER_LEASE));
    r.leaderChanges.forEach(c -> System.out.println("etcd-leader-loss-failover: " + c));
    FullJourneyIT.assertWholeJourney(r, true);
    assertEquals(2, r.leaderChanges.size(), r.leaderChanges.toString());
    assertEquals(2, r.leaderChangesSeen, "the leader changed only when the test took it away");
    assertEquals(List.of(JourneyTable.C1_PROMOTE, JourneyTable.FO_WAIT_LEASE), r.leaderChanges.stream().map(c -> c.step).toList());
    EtcdLeaderLossIT.assertLeaderlessWithin(r, r.leaderChanges.get(0), Duration.ofMillis(3200));
    EtcdLeaderLossIT.assertLeaderlessWithin(r, r.leaderChanges.get(1), Duration.ofMillis(5350));
    assertTrue(ScenarioRuns.stepsRunAgainAfterDone(r).isEmpty(), String.join("\n", ScenarioRuns.stepsRunAgainAfterDone(r)));
    assertEquals(1, ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.C1_PROMOTE).size(), "a promoted once");
    assertEquals(1, ScenarioRuns.events(r, "STEP_DONE", JourneyTable.FO_PROMOTE_B).size(), "b promoted once");
    assertTrue(r.journal.stream().noneMatch(e -> e.event().equals("PHASE_RESET")), "no phase started afresh");
  }
}
