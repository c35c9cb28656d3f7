package io.pgferry.controller.loop;

import io.pgferry.controller.failover.FailureDetector;
import io.pgferry.controller.journey.Intent;
import io.pgferry.controller.journey.JourneyEngine;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.LossRoute.Route;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.loop.Decision.Action;
import io.pgferry.controller.plan.Plan;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The controller loop's decision, from one {@link LoopSnapshot} alone: pure (no I/O, no clock, no state). Which
 * watch applies comes from the journey table's routing columns for the phase the journal stands in; the verdicts
 * from {@link FailureDetector}. In order: a follower does nothing; a long action in progress is waited for; an
 * intent (abort, failover) is acted on; then the nodes: a replica lost before cutover 1 is rebuilt, a failed primary
 * failed over, and with durability sync B is made synchronous while it streams and dropped when it is lost.
 */
public final class LoopDecider {
  private LoopDecider() {}

  /** Which nodes a cycle looks at (and so probes): none, A and B as replicas before cutover 1, or A and B as a pair. */
  enum Watch { NONE, REPLICAS, PAIR }

  /** The watch the journey table's routing columns open for the phase the journal stands in. */
  static Watch watch(LoopSnapshot s) {
    if (!s.leading() || s.actionInProgress().isPresent() || s.intent().isPresent() || s.plan().isEmpty()
        || !s.plan().get().failover().enabled()) {
      return Watch.NONE;
    }
    Route replica = JourneyTable.replicaLossRoute(s.journal());
    if (replica == Route.REBUILD) {
      return s.engineRunning() ? Watch.REPLICAS : Watch.NONE;
    }
    boolean durability = replica == Route.DROP_TO_ASYNC && s.plan().get().durability() == Plan.Durability.SYNC;
    return JourneyTable.failoverOpen(s.journal()) || durability ? Watch.PAIR : Watch.NONE;
  }

  public static Decision decide(LoopSnapshot s) {
    if (!s.leading()) {
      return Decision.of(Action.NOTHING, "not the leader: the leading controller acts");
    }
    if (s.actionInProgress().isPresent()) {
      return Decision.of(Action.IN_PROGRESS, s.actionInProgress().get());
    }
    if (s.intent().isPresent()) {
      if (s.intent().get() instanceof Intent.Failover f) {
        return new Decision(Action.FAILOVER, f.reason(), f.evidence(), Optional.empty(), Map.of());
      }
      return Decision.of(Action.STOP, "`pgferry abort`: the journey stops at its next safe point");
    }
    if (s.plan().isEmpty()) {
      return Decision.of(Action.NOTHING, "no plan applied");
    }
    Plan plan = s.plan().get();
    return switch (watch(s)) {
      case REPLICAS -> replicas(s, plan.failover().detectAfter());
      case PAIR -> primary(s, plan, JourneyTable.replicaLossRoute(s.journal()) == Route.DROP_TO_ASYNC
          && plan.durability() == Plan.Durability.SYNC);
      case NONE -> journey(s);
    };
  }

  /** Nothing about the nodes to decide: where the journey stands. */
  private static Decision journey(LoopSnapshot s) {
    String at = JourneyEngine.effectivePhase(s.journal()).map(Phase::name).orElse("(not started)");
    if (s.engineRunning()) {
      return Decision.of(Action.IN_PROGRESS, "the journey runs " + at);
    }
    if (!s.journal().started() || s.journal().finished()) {
      return Decision.of(Action.NOTHING, s.journal().finished() ? "the journey finished" : "no journey started");
    }
    return Decision.of(Action.NOTHING, "the journey is stopped at " + at);
  }

  /** Before cutover 1: a replica seen serving its role and now lost sends the journey back to rebuild it. */
  private static Decision replicas(LoopSnapshot s, Duration detectAfter) {
    Map<String, FailureDetector.Verdict> seen = new LinkedHashMap<>();
    for (LoopSnapshot.Replica r : s.nodes().replicas()) {
      if (r.serving() || !r.watched()) {
        continue;
      }
      FailureDetector.Verdict v = FailureDetector.replicaLost(r.seen(), r.agentFailing(), s.now(),
          s.nodes().watchingSince(), detectAfter);
      seen.put(r.seen().nodeId(), v);
      if (v.failed()) {
        Map<String, String> ev = new LinkedHashMap<>(v.evidence());
        ev.put("decided_at", s.now().toString());
        if (!r.agentError().isEmpty()) {
          ev.put("agent_error", r.agentError());
        }
        return new Decision(Action.REBUILD, v.reason() + " before cutover 1: it is rebuilt and the journey goes back"
            + " to the phase that builds it", ev, Optional.of(r.seen().nodeId()), seen);
      }
    }
    return (seen.isEmpty() ? journey(s) : Decision.of(Action.WATCH, String.join("; ",
        seen.values().stream().map(FailureDetector.Verdict::reason).toList()))).seeing(seen);
  }

  /** After cutover 1: A failed → FAILOVER; with durability sync, B lost → async, B streaming → sync. */
  private static Decision primary(LoopSnapshot s, Plan plan, boolean durabilitySync) {
    Optional<FailureDetector.Snapshot> pair = s.nodes().pair();
    if (pair.isEmpty()) {
      return Decision.of(Action.WATCH, plan.nodes().archiveReplica() + " or " + plan.nodes().standby()
          + " not known to this controller yet");
    }
    Duration detectAfter = plan.failover().detectAfter();
    Map<String, FailureDetector.Verdict> seen = new LinkedHashMap<>();
    if (JourneyTable.failoverOpen(s.journal())) {
      FailureDetector.Verdict primary = FailureDetector.primaryFailed(pair.get(), detectAfter);
      seen.put("primary", primary);
      if (primary.failed()) {
        Map<String, String> ev = new LinkedHashMap<>(primary.evidence());
        ev.put("decided_at", s.now().toString());
        return new Decision(Action.FAILOVER, "automatic failover: " + primary.reason(), ev, Optional.empty(), seen);
      }
    }
    if (durabilitySync) {
      FailureDetector.Verdict standby = FailureDetector.standbyLost(pair.get(), detectAfter);
      seen.put("standby", standby);
      String a = pair.get().a().nodeId();
      String b = pair.get().b().nodeId();
      if (standby.failed() && s.nodes().aSynchronous()) {
        Map<String, String> ev = new LinkedHashMap<>(standby.evidence());
        ev.put("durability", "async");
        return new Decision(Action.DURABILITY_ASYNC, standby.reason() + ": durability dropped to async on " + a
            + " (commits no longer wait for " + b + ")", ev, Optional.empty(), seen);
      }
      if (standby.kind() == FailureDetector.Kind.HEALTHY && !s.nodes().aSynchronous() && s.nodes().aConnected()) {
        return new Decision(Action.DURABILITY_SYNC, b + " streams from " + a + ": durability sync",
            Map.of("durability", "sync"), Optional.empty(), seen);
      }
    }
    return (seen.isEmpty() ? journey(s) : Decision.of(Action.WATCH, String.join("; ",
        seen.values().stream().map(FailureDetector.Verdict::reason).toList()))).seeing(seen);
  }
}
