package io.pgferry.controller.journey;

import io.pgferry.common.Lsn;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Durations;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The journey's decisions as pure functions of what the nodes last reported and the time: unit-testable without a
 * database, and each answer carries the sentence shown to a person.
 */
public final class Decisions {
  private Decisions() {}

  /** A is an archive replica within {@code maxSegments} of the archive head. */
  public static Verdict archiveReplicaCaughtUp(Optional<NodeView> node, String id, long maxSegments) {
    Optional<Verdict> notThere = notThere(node, id, NodeState.ARCHIVE_REPLICA);
    if (notThere.isPresent()) {
      return notThere.get();
    }
    Status s = node.get().status();
    long lag = s.hasArchive() ? s.getArchive().getLagSegments() : -1;
    if (lag < 0) {
      return new Verdict.Waiting(id + ": replaying " + orNone(s.getReplayLsn()) + "; archive head not known yet");
    }
    String where = id + " restored " + orNone(s.getArchive().getLastRestoredSegment()) + ", archive head "
        + orNone(s.getArchive().getArchiveHeadSegment());
    if (lag > maxSegments) {
      return new Verdict.Waiting(where + ": " + lag + " segments left (caught up at " + maxSegments + ")");
    }
    return new Verdict.Ready(where + ": " + lag + " segments behind, within " + maxSegments,
        Map.of("replay_lsn", s.getReplayLsn(), "lag_segments", Long.toString(lag),
            "last_restored_segment", s.getArchive().getLastRestoredSegment()));
  }

  /** B streams from its upstream with lag at most {@code maxLagBytes}. */
  public static Verdict standbyStreaming(Optional<NodeView> node, String id, long maxLagBytes) {
    Optional<Verdict> notThere = notThere(node, id, NodeState.STREAMING_STANDBY);
    if (notThere.isPresent()) {
      return notThere.get();
    }
    Status s = node.get().status();
    if (!"streaming".equals(s.getWalReceiverStatus())) {
      return new Verdict.Waiting(id + ": WAL receiver " + orNone(s.getWalReceiverStatus()) + ", replayed "
          + orNone(s.getReplayLsn()));
    }
    long lag = s.getReplayLagBytes();
    if (lag > maxLagBytes) {
      return new Verdict.Waiting(id + ": streaming from " + s.getUpstream() + ", " + lag + " bytes behind (at most "
          + maxLagBytes + ")");
    }
    return new Verdict.Ready(id + ": streaming from " + s.getUpstream() + ", " + lag + " bytes behind",
        Map.of("lag_bytes", Long.toString(lag), "replay_lsn", s.getReplayLsn(), "upstream", s.getUpstream(),
            "timeline", Integer.toString(s.getTimeline())));
  }

  /** Cutover 1 may begin: A caught up with the archive and B streaming. Both reasons are given when neither holds. */
  public static Verdict readyForCutover(Optional<NodeView> a, String aId, Optional<NodeView> b, String bId,
                                        long maxSegments, long maxLagBytes) {
    Verdict va = archiveReplicaCaughtUp(a, aId, maxSegments);
    Verdict vb = standbyStreaming(b, bId, maxLagBytes);
    if (va instanceof Verdict.Ready ra && vb instanceof Verdict.Ready rb) {
      return new Verdict.Ready(ra.summary() + "; " + rb.summary(), Map.of(
          "a_replay_lsn", ra.evidence().get("replay_lsn"), "b_lag_bytes", rb.evidence().get("lag_bytes")));
    }
    return new Verdict.Waiting(text(va) + "; " + text(vb));
  }

  /**
   * A has replayed the source's final WAL position. Without it (the source is unreachable), A must have replayed
   * everything the archive holds once archive_timeout has passed since writes were fenced.
   */
  public static Verdict replayedFinal(Optional<NodeView> node, String id, Lsn finalLsn, Instant blockedAt,
                                      Duration archiveTimeout, Instant now) {
    Optional<Verdict> notThere = notThere(node, id, NodeState.ARCHIVE_REPLICA);
    if (notThere.isPresent()) {
      return notThere.get();
    }
    Status s = node.get().status();
    Lsn replay = Lsn.parse(s.getReplayLsn());
    long left = Math.max(0, Duration.between(now, blockedAt.plus(archiveTimeout)).toSeconds());
    String countdown = left > 0 ? "; the source ships its last segment within archive_timeout: " + left + " s left"
        : "; archive_timeout has passed";
    if (finalLsn.isValid()) {
      if (replay.compareTo(finalLsn) >= 0) {
        return new Verdict.Ready(id + " replayed " + replay + " >= the source's final " + finalLsn,
            Map.of("replay_lsn", replay.toString(), "final_lsn", finalLsn.toString()));
      }
      return new Verdict.Waiting(id + " replayed " + replay + " of the source's final " + finalLsn + " ("
          + finalLsn.bytesAfter(replay) + " bytes left)" + countdown);
    }
    long lag = s.hasArchive() ? s.getArchive().getLagSegments() : -1;
    if (left > 0 || lag != 0) {
      return new Verdict.Waiting(id + " replayed " + replay + ", " + (lag < 0 ? "unknown" : lag)
          + " segments behind the archive head (source unreachable: its final position is unknown)" + countdown);
    }
    return new Verdict.Ready(id + " replayed " + replay + ", all the archive holds, archive_timeout after the block",
        Map.of("replay_lsn", replay.toString(), "final_lsn", ""));
  }

  /** A runs as a read-write primary. */
  public static Verdict promoted(Optional<NodeView> node, String id) {
    Optional<Verdict> notThere = notThere(node, id, NodeState.PRIMARY);
    if (notThere.isPresent()) {
      return notThere.get();
    }
    Status s = node.get().status();
    if (s.getInRecovery() || !s.getPgRunning()) {
      return new Verdict.Waiting(id + ": promoting (in recovery: " + s.getInRecovery() + ")");
    }
    return new Verdict.Ready(id + " is primary on timeline " + s.getTimeline() + " at " + s.getCurrentLsn(),
        Map.of("timeline", Integer.toString(s.getTimeline()), "current_lsn", s.getCurrentLsn()));
  }

  /** B follows A onto A's new timeline after the promotion. */
  public static Verdict standbyFollows(Optional<NodeView> b, String bId, Optional<NodeView> a, String aId,
                                       long maxLagBytes) {
    Verdict streaming = standbyStreaming(b, bId, maxLagBytes);
    if (!(streaming instanceof Verdict.Ready ready)) {
      return streaming;
    }
    int aTimeline = a.map(v -> v.status().getTimeline()).orElse(0);
    int bTimeline = b.get().status().getTimeline();
    if (bTimeline < aTimeline) {
      return new Verdict.Waiting(bId + " on timeline " + bTimeline + ", " + aId + " on " + aTimeline);
    }
    return new Verdict.Ready(ready.summary() + " on " + aId + "'s timeline " + aTimeline, ready.evidence());
  }

  /** Why a wait for {@code what} failed once its {@code timeout} (counted from the step's start) ran out. */
  public static String timedOut(Duration timeout, String what, String lastProgress) {
    return "timed out after " + Durations.format(timeout) + " waiting for " + what
        + (lastProgress == null ? "" : "; last seen: " + lastProgress);
  }

  private static Optional<Verdict> notThere(Optional<NodeView> node, String id, NodeState wanted) {
    if (node.isEmpty()) {
      return Optional.of(new Verdict.Waiting("agent " + id + " has never connected"));
    }
    NodeView v = node.get();
    if (!v.connected()) {
      return Optional.of(new Verdict.Waiting("agent " + id + " is not connected (last seen " + v.lastSeen() + ")"));
    }
    Status s = v.status();
    if (s == null) {
      return Optional.of(new Verdict.Waiting("agent " + id + " has sent no status yet"));
    }
    if (s.getState() == NodeState.FAILED) {
      return Optional.of(new Verdict.Waiting(id + ": the agent's last transition failed (it retries): "
          + s.getLastError()));
    }
    if (s.getState() != wanted) {
      String doing = s.getTransition().isEmpty() ? "" : " (" + s.getTransition() + ")";
      String error = s.getLastError().isEmpty() ? "" : "; last error: " + s.getLastError();
      return Optional.of(new Verdict.Waiting(id + ": " + s.getState() + " -> " + wanted + doing + error));
    }
    return Optional.empty();
  }

  private static String text(Verdict v) {
    if (v instanceof Verdict.Ready r) {
      return r.summary();
    }
    return v instanceof Verdict.Waiting w ? w.progress() : ((Verdict.Failed) v).reason();
  }

  private static String orNone(String s) {
    return s == null || s.isEmpty() ? "(none)" : s;
  }
}
