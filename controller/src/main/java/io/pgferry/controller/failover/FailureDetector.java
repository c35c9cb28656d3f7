package io.pgferry.controller.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decides, from one snapshot and the time, whether the primary A has failed - never on one missed heartbeat: A is
 * failed only when its agent link has been silent AND its PostgreSQL unreachable for {@code detectAfter}, AND B (whose
 * agent still talks) reports its WAL receiver disconnected. The same ladder decides whether B is lost (for the drop
 * to async): B's link silent for {@code detectAfter} and A shows no WAL sender for B. Pure: no I/O, no clock.
 */
public final class FailureDetector {
  private FailureDetector() {}

  /**
   * What the controller knows about one node. Times are when it last heard from / reached it (null: never since
   * {@code watchingSince}); {@code walReceiver} is B's Status.wal_receiver_status; {@code statusAt} when that Status
   * was received; {@code sendsTo} whether this node's Status lists a streaming replica with the other's application_name.
   */
  public record NodeSeen(String nodeId, boolean linkConnected, Instant linkLastSeen, Instant pgLastReachable,
                         String walReceiver, Instant statusAt, boolean sendsToPeer) {}

  public record Snapshot(Instant now, Instant watchingSince, NodeSeen a, NodeSeen b) {}

  public enum Kind { HEALTHY, SUSPECT, FAILED }

  /** The decision with a sentence a person can read and the facts behind it (journaled). */
  public record Verdict(Kind kind, String reason, Map<String, String> evidence) {
    public boolean failed() {
      return kind == Kind.FAILED;
    }
  }

  public static Verdict primaryFailed(Snapshot s, Duration detectAfter) {
    Map<String, String> ev = new LinkedHashMap<>();
    Duration linkSilent = silentFor(s.a().linkLastSeen(), s);
    Duration pgSilent = silentFor(s.a().pgLastReachable(), s);
    ev.put("a_link_connected", String.valueOf(s.a().linkConnected()));
    ev.put("a_link_silent_ms", String.valueOf(linkSilent.toMillis()));
    ev.put("a_pg_unreachable_ms", String.valueOf(pgSilent.toMillis()));
    ev.put("b_link_connected", String.valueOf(s.b().linkConnected()));
    ev.put("b_wal_receiver", s.b().walReceiver() == null ? "" : s.b().walReceiver());
    ev.put("detect_after_ms", String.valueOf(detectAfter.toMillis()));
    boolean linkDown = !s.a().linkConnected() || linkSilent.compareTo(detectAfter) >= 0;
    boolean linkLong = linkSilent.compareTo(detectAfter) >= 0;
    boolean pgLong = pgSilent.compareTo(detectAfter) >= 0;
    if (!linkDown && pgSilent.isZero()) {
      return new Verdict(Kind.HEALTHY, s.a().nodeId() + " healthy: link and PostgreSQL answer", ev);
    }
    if (!linkLong || !pgLong) {
      return new Verdict(Kind.SUSPECT, s.a().nodeId() + " not answering (link silent " + linkSilent.toMillis()
          + " ms, PostgreSQL unreachable " + pgSilent.toMillis() + " ms); both must last " + detectAfter.toMillis()
          + " ms", ev);
    }
    Duration bSilent = silentFor(s.b().linkLastSeen(), s);
    if (!s.b().linkConnected() || bSilent.compareTo(detectAfter) >= 0) {
      return new Verdict(Kind.SUSPECT, s.a().nodeId() + " silent, but " + s.b().nodeId()
          + " is silent too: no failover (the controller may be the one cut off)", ev);
    }
    if ("streaming".equals(s.b().walReceiver())) {
      return new Verdict(Kind.SUSPECT, s.a().nodeId() + " silent to the controller, but " + s.b().nodeId()
          + " still streams from it: no failover (a partition between the controller and " + s.a().nodeId() + ")", ev);
    }
    return new Verdict(Kind.FAILED, s.a().nodeId() + " failed: link silent " + linkSilent.toMillis()
        + " ms, PostgreSQL unreachable " + pgSilent.toMillis() + " ms, " + s.b().nodeId() + "'s WAL receiver "
        + (ev.get("b_wal_receiver").isEmpty() ? "stopped" : ev.get("b_wal_receiver")), ev);
  }

  /** B lost (sync mode would make A wait forever): B's link silent for detectAfter and A sends it no WAL. */
  public static Verdict standbyLost(Snapshot s, Duration detectAfter) {
    Map<String, String> ev = new LinkedHashMap<>();
    Duration bSilent = silentFor(s.b().linkLastSeen(), s);
    ev.put("b_link_connected", String.valueOf(s.b().linkConnected()));
    ev.put("b_link_silent_ms", String.valueOf(bSilent.toMillis()));
    ev.put("a_sends_to_b", String.valueOf(s.a().sendsToPeer()));
    ev.put("detect_after_ms", String.valueOf(detectAfter.toMillis()));
    if (s.a().sendsToPeer()) {
      return new Verdict(Kind.HEALTHY, s.b().nodeId() + " streams from " + s.a().nodeId(), ev);
    }
    if (bSilent.compareTo(detectAfter) < 0) {
      return new Verdict(Kind.SUSPECT, s.b().nodeId() + " not streaming; its link was heard " + bSilent.toMillis()
          + " ms ago", ev);
    }
    return new Verdict(Kind.FAILED, s.b().nodeId() + " lost: link silent " + bSilent.toMillis() + " ms and "
        + s.a().nodeId() + " sends it no WAL", ev);
  }

  /**
   * A replica (A or B before cutover 1) lost: its PostgreSQL unreachable for {@code detectAfter}, and its agent either
   * silent as long or reporting that it cannot bring PostgreSQL back ({@code agentFailing}: Status FAILED, e.g. a
   * broken data dir). An agent that is still converging (restarting PostgreSQL) is not a loss.
   */
  public static Verdict replicaLost(NodeSeen n, boolean agentFailing, Instant now, Instant watchingSince,
                                    Duration detectAfter) {
    Snapshot s = new Snapshot(now, watchingSince, n, n);
    Duration linkSilent = silentFor(n.linkLastSeen(), s);
    Duration pgSilent = silentFor(n.pgLastReachable(), s);
    Map<String, String> ev = new LinkedHashMap<>();
    ev.put("node", n.nodeId());
    ev.put("link_connected", String.valueOf(n.linkConnected()));
    ev.put("link_silent_ms", String.valueOf(linkSilent.toMillis()));
    ev.put("pg_unreachable_ms", String.valueOf(pgSilent.toMillis()));
    ev.put("agent_failing", String.valueOf(agentFailing));
    ev.put("detect_after_ms", String.valueOf(detectAfter.toMillis()));
    boolean agentGone = linkSilent.compareTo(detectAfter) >= 0;
    if (pgSilent.compareTo(detectAfter) < 0) {
      return new Verdict(pgSilent.isZero() ? Kind.HEALTHY : Kind.SUSPECT, n.nodeId() + "'s PostgreSQL unreachable for "
          + pgSilent.toMillis() + " ms", ev);
    }
    if (!agentGone && !agentFailing) {
      return new Verdict(Kind.SUSPECT, n.nodeId() + "'s PostgreSQL down " + pgSilent.toMillis() + " ms; its agent is"
          + " bringing it back", ev);
    }
    return new Verdict(Kind.FAILED, n.nodeId() + " lost: PostgreSQL unreachable " + pgSilent.toMillis() + " ms, "
        + (agentGone ? "agent silent " + linkSilent.toMillis() + " ms" : "its agent fails to bring it back"), ev);
  }

  private static Duration silentFor(Instant lastSeen, Snapshot s) {
    Instant since = lastSeen == null ? s.watchingSince() : lastSeen;
    Duration d = Duration.between(since, s.now());
    return d.isNegative() ? Duration.ZERO : d;
  }
}
