package io.pgferry.controller.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.failover.FailureDetector;
import io.pgferry.controller.failover.FailureDetector.NodeSeen;
import io.pgferry.controller.journey.Intent;
import io.pgferry.controller.journey.JournalRecord;
import io.pgferry.controller.journey.JournalRecord.Event;
import io.pgferry.controller.journey.JournalState;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.LossRoute;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.loop.Decision.Action;
import io.pgferry.controller.loop.LoopSnapshot.Nodes;
import io.pgferry.controller.loop.LoopSnapshot.Replica;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.testkit.plan.PlanBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The controller loop's decide function over hand-built snapshots: the sentences it returns. */
class LoopDeciderTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant NOW = T0.plusSeconds(10); // A silent since T0: well past detect_after (3 s)

  private static Plan plan(String durability) {
    return PlanLoader.parse("plan.yaml", PlanBuilder.plan().durability(durability)
        .failover(f -> f.timings(Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofSeconds(4))).yaml(), null).plan();
  }

  /** A journal that started and entered {@code phases} in order (the last one in progress). */
  private static JournalState journal(Phase... phases) {
    List<JournalRecord> rs = new ArrayList<>();
    rs.add(new JournalRecord(1, T0.toString(), Event.JOURNEY_STARTED, null, null, "started", Map.of()));
    for (int i = 0; i < phases.length; i++) {
      rs.add(new JournalRecord(rs.size() + 1, T0.toString(), Event.PHASE_STARTED, phases[i].name(), null, "", Map.of()));
      if (i < phases.length - 1) {
        rs.add(new JournalRecord(rs.size() + 1, T0.toString(), Event.PHASE_DONE, phases[i].name(), null, "", Map.of()));
      }
    }
    return JournalState.replay(rs);
  }

  /** A silent and unreachable since T0; B's agent talks and B's WAL receiver stopped. */
  private static Nodes aFailed() {
    NodeSeen a = new NodeSeen("a", false, T0, null, "", null, false);
    NodeSeen b = new NodeSeen("b", true, NOW, null, "", NOW, false);
    return new Nodes(T0, Optional.of(new FailureDetector.Snapshot(NOW, T0, a, b)), false, false, List.of());
  }

  /** A healthy and synchronous; B silent since T0 and A sends it no WAL. */
  private static Nodes bLost() {
    NodeSeen a = new NodeSeen("a", true, NOW, NOW, "", null, false);
    NodeSeen b = new NodeSeen("b", false, T0, null, "", T0, false);
    return new Nodes(T0, Optional.of(new FailureDetector.Snapshot(NOW, T0, a, b)), true, true, List.of());
  }

  private static LoopSnapshot snapshot(boolean leading, Plan plan, JournalState st, boolean running,
                                       Optional<String> action, Optional<Intent> intent, Nodes nodes) {
    return new LoopSnapshot(NOW, leading, Optional.of(plan), st, running, action, intent, nodes);
  }

  private static Decision decide(JournalState st, Nodes nodes) {
    return LoopDecider.decide(snapshot(true, plan("async"), st, true, Optional.empty(), Optional.empty(), nodes));
  }

  @Test
  void primaryLostInLogicalSyncFailsOver() {
    JournalState st = journal(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY, Phase.CUTOVER_1,
        Phase.LOGICAL_SETUP, Phase.LOGICAL_SYNC);
    Decision d = decide(st, aFailed());
    assertEquals(Action.FAILOVER, d.action(), d.sentence());
    assertTrue(d.sentence().startsWith("FAILOVER: automatic failover: a failed: link silent 10000 ms, PostgreSQL"
        + " unreachable 10000 ms, b's WAL receiver stopped"), d.sentence());
    assertEquals(NOW.toString(), d.evidence().get("decided_at"));
    assertEquals(FailureDetector.Kind.FAILED, d.verdicts().get("primary").kind());
  }

  @Test
  void aPrimarySilentWhileBStillStreamsIsWatchedNotFailedOver() {
    JournalState st = journal(Phase.CUTOVER_1, Phase.LOGICAL_SETUP, Phase.LOGICAL_SYNC);
    NodeSeen a = new NodeSeen("a", false, T0, null, "", null, false);
    NodeSeen b = new NodeSeen("b", true, NOW, null, "streaming", NOW, false);
    Decision d = decide(st, new Nodes(T0, Optional.of(new FailureDetector.Snapshot(NOW, T0, a, b)), false, false,
        List.of()));
    assertEquals("WATCH: a silent to the controller, but b still streams from it: no failover (a partition between"
        + " the controller and a)", d.sentence());
  }

  @Test
  void inStandbyALostPrimaryIsNoFailoverButALostReplicaIsRebuiltAsTheTableSays() {
    JournalState st = journal(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA, Phase.STANDBY);
    assertEquals(LossRoute.Route.NOT_ALLOWED, JourneyTable.rule(Phase.STANDBY).onPrimaryLoss().route());
    // the pair's verdict is not even asked for: before cutover 1 the nodes are watched as replicas
    assertEquals(LoopDecider.Watch.REPLICAS, LoopDecider.watch(snapshot(true, plan("async"), st, true,
        Optional.empty(), Optional.empty(), aFailed())));
    Replica bGone = new Replica(new NodeSeen("b", false, T0, T0, "", T0, false), false, true, false, "");
    Replica aServes = new Replica(new NodeSeen("a", true, NOW, NOW, "", NOW, false), true, true, false, "");
    Decision d = decide(st, new Nodes(T0, Optional.empty(), false, false, List.of(aServes, bGone)));
    assertEquals(Action.REBUILD, d.action(), d.sentence());
    assertEquals(Optional.of("b"), d.node());
    assertEquals("REBUILD: b lost: PostgreSQL unreachable 10000 ms, agent silent 10000 ms before cutover 1: it is"
        + " rebuilt and the journey goes back to the phase that builds it", d.sentence());
  }

  @Test
  void aReplicaNeverSeenServingIsNotLost() {
    JournalState st = journal(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA);
    Replica bNew = new Replica(new NodeSeen("b", false, null, null, "", null, false), false, false, false, "");
    assertEquals("IN_PROGRESS: the journey runs ARCHIVE_REPLICA", decide(st, new Nodes(T0, Optional.empty(), false,
        false, List.of(bNew))).sentence());
  }

  @Test
  void noSecondFailoverOnceOneWasEntered() {
    JournalState st = journal(Phase.CUTOVER_1, Phase.LOGICAL_SETUP, Phase.LOGICAL_SYNC, Phase.FAILOVER);
    assertEquals("IN_PROGRESS: the journey runs FAILOVER", decide(st, aFailed()).sentence());
  }

  @Test
  void pastCutoverTwosPointOfNoReturnTheWayIsToTheTarget() {
    List<JournalRecord> rs = new ArrayList<>();
    rs.add(new JournalRecord(1, T0.toString(), Event.JOURNEY_STARTED, null, null, "", Map.of()));
    rs.add(new JournalRecord(2, T0.toString(), Event.PHASE_STARTED, "CUTOVER_2", null, "", Map.of()));
    rs.add(new JournalRecord(3, T0.toString(), Event.STEP_STARTED, "CUTOVER_2", JourneyTable.C2_DROP_SUBSCRIPTION, "",
        Map.of()));
    Decision d = decide(JournalState.replay(rs), aFailed());
    assertEquals("IN_PROGRESS: the journey runs CUTOVER_2", d.sentence());
  }

  @Test
  void durabilitySyncDropsToAsyncWhenBIsLost() {
    JournalState st = journal(Phase.CUTOVER_1, Phase.LOGICAL_SETUP, Phase.LOGICAL_SYNC);
    Decision d = LoopDecider.decide(snapshot(true, plan("sync"), st, true, Optional.empty(), Optional.empty(), bLost()));
    assertEquals("DURABILITY_ASYNC: b lost: link silent 10000 ms and a sends it no WAL: durability dropped to async on a"
        + " (commits no longer wait for b)", d.sentence());
    Decision async = decide(st, bLost());
    assertEquals(Action.WATCH, async.action(), "durability async: a lost standby changes nothing: " + async.sentence());
  }

  @Test
  void anAbortIntentStopsTheJourney() {
    JournalState st = journal(Phase.CUTOVER_1, Phase.LOGICAL_SETUP, Phase.LOGICAL_SYNC);
    Decision d = LoopDecider.decide(snapshot(true, plan("async"), st, true, Optional.empty(),
        Optional.of(new Intent.Abort()), aFailed()));
    assertEquals("STOP: `pgferry abort`: the journey stops at its next safe point", d.sentence());
  }

  @Test
  void aFailoverIntentEntersFailoverWithItsReason() {
    JournalState st = journal(Phase.CUTOVER_1, Phase.LOGICAL_SETUP, Phase.LOGICAL_SYNC);
    Decision d = LoopDecider.decide(snapshot(true, plan("async"), st, true, Optional.empty(),
        Optional.of(new Intent.Failover("manual switchover requested (pgferry failover)", Map.of("manual", "true"))),
        LoopSnapshot.Nodes.unseen(T0)));
    assertEquals("FAILOVER: manual switchover requested (pgferry failover)", d.sentence());
    assertEquals(Map.of("manual", "true"), d.evidence());
  }

  @Test
  void aLongActionInProgressIsWaitedForAndAnIntentWaitsBehindIt() {
    JournalState st = journal(Phase.CUTOVER_1, Phase.LOGICAL_SETUP, Phase.LOGICAL_SYNC);
    Decision d = LoopDecider.decide(snapshot(true, plan("async"), st, true, Optional.of("failover under way: a failed"),
        Optional.of(new Intent.Abort()), aFailed()));
    assertEquals("IN_PROGRESS: failover under way: a failed", d.sentence());
  }

  @Test
  void aFollowerDoesNothing() {
    JournalState st = journal(Phase.CUTOVER_1, Phase.LOGICAL_SETUP, Phase.LOGICAL_SYNC);
    Decision d = LoopDecider.decide(snapshot(false, plan("async"), st, true, Optional.empty(),
        Optional.of(new Intent.Abort()), aFailed()));
    assertEquals("NOTHING: not the leader: the leading controller acts", d.sentence());
  }

  @Test
  void aStoppedJourneyAndNoPlanAreSaidSo() {
    JournalState st = journal(Phase.PREFLIGHT, Phase.ARCHIVE_REPLICA);
    assertEquals("NOTHING: the journey is stopped at ARCHIVE_REPLICA", LoopDecider.decide(snapshot(true, plan("async"),
        st, false, Optional.empty(), Optional.empty(), LoopSnapshot.Nodes.unseen(T0))).sentence());
    assertEquals("NOTHING: no plan applied", LoopDecider.decide(new LoopSnapshot(NOW, true, Optional.empty(),
        JournalState.replay(List.of()), false, Optional.empty(), Optional.empty(), LoopSnapshot.Nodes.unseen(T0)))
        .sentence());
  }
}
