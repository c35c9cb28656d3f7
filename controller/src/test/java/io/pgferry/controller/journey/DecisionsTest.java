package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Lsn;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.ArchiveStatus;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DecisionsTest {
  static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");

  static Optional<NodeView> view(Status s) {
    return Optional.of(new NodeView(s.getNodeId(), Hello.newBuilder().setNodeId(s.getNodeId()).build(), s,
        Goal.getDefaultInstance(), true, T0, Optional.empty()));
  }

  static Status.Builder replica(long lagSegments, String replay) {
    return Status.newBuilder().setNodeId("a").setState(NodeState.ARCHIVE_REPLICA).setInRecovery(true)
        .setPgRunning(true).setReplayLsn(replay)
        .setArchive(ArchiveStatus.newBuilder().setLagSegments(lagSegments)
            .setLastRestoredSegment("000000010000000000000007").setArchiveHeadSegment("00000001000000000000000C"));
  }

  @Test
  void archiveReplicaWaitsWithSegmentsLeftThenIsReady() {
    Verdict far = Decisions.archiveReplicaCaughtUp(view(replica(5, "0/7000000").build()), "a", 2);
    assertEquals("a restored 000000010000000000000007, archive head 00000001000000000000000C: 5 segments left"
        + " (caught up at 2)", ((Verdict.Waiting) far).progress());
    Verdict near = Decisions.archiveReplicaCaughtUp(view(replica(2, "0/B000000").build()), "a", 2);
    assertEquals("2", ((Verdict.Ready) near).evidence().get("lag_segments"));
  }

  @Test
  void anAgentErrorIsShownVerbatim() {
    Status failed = Status.newBuilder().setNodeId("a").setState(NodeState.FAILED)
        .setLastError("backup-fetch: s3://bucket/p/basebackups_005/: AccessDenied (403)").build();
    Verdict v = Decisions.archiveReplicaCaughtUp(view(failed), "a", 2);
    assertTrue(((Verdict.Waiting) v).progress().endsWith("backup-fetch: s3://bucket/p/basebackups_005/: AccessDenied"
        + " (403)"), v.toString());
    assertInstanceOf(Verdict.Waiting.class, Decisions.archiveReplicaCaughtUp(Optional.empty(), "a", 2));
  }

  @Test
  void replayOfTheFinalPositionCountsDownArchiveTimeout() {
    Clock clock = Clock.fixed(T0.plusSeconds(20), ZoneOffset.UTC);
    Instant blocked = T0;
    Verdict waiting = Decisions.replayedFinal(view(replica(1, "0/5000000").build()), "a", Lsn.parse("0/5000100"),
        blocked, Duration.ofSeconds(60), clock.instant());
    assertEquals("a replayed 0/5000000 of the source's final 0/5000100 (256 bytes left); the source ships its last"
        + " segment within archive_timeout: 40 s left", ((Verdict.Waiting) waiting).progress());
    Verdict ready = Decisions.replayedFinal(view(replica(0, "0/6000000").build()), "a", Lsn.parse("0/5000100"),
        blocked, Duration.ofSeconds(60), clock.instant());
    assertEquals("0/5000100", ((Verdict.Ready) ready).evidence().get("final_lsn"));
  }

  @Test
  void withoutTheSourcesPositionItWaitsOutArchiveTimeoutAndTheArchiveHead() {
    Duration timeout = Duration.ofSeconds(60);
    Optional<NodeView> caughtUp = view(replica(0, "0/6000000").build());
    assertInstanceOf(Verdict.Waiting.class,
        Decisions.replayedFinal(caughtUp, "a", Lsn.INVALID, T0, timeout, T0.plusSeconds(59)));
    assertInstanceOf(Verdict.Waiting.class,
        Decisions.replayedFinal(view(replica(1, "0/5000000").build()), "a", Lsn.INVALID, T0, timeout, T0.plusSeconds(61)));
    assertInstanceOf(Verdict.Ready.class,
        Decisions.replayedFinal(caughtUp, "a", Lsn.INVALID, T0, timeout, T0.plusSeconds(60)));
  }

  @Test
  void standbyMustStreamWithSmallLagAndFollowTheNewTimeline() {
    Status.Builder b = Status.newBuilder().setNodeId("b").setState(NodeState.STREAMING_STANDBY).setInRecovery(true)
        .setWalReceiverStatus("streaming").setUpstream("10.0.0.5:5432").setReplayLagBytes(5000).setTimeline(1);
    assertInstanceOf(Verdict.Waiting.class, Decisions.standbyStreaming(view(b.build()), "b", 1000));
    assertInstanceOf(Verdict.Ready.class, Decisions.standbyStreaming(view(b.build()), "b", 10000));
    assertInstanceOf(Verdict.Waiting.class,
        Decisions.standbyStreaming(view(b.setWalReceiverStatus("startup").build()), "b", 10000));
    Status a = Status.newBuilder().setNodeId("a").setState(NodeState.PRIMARY).setTimeline(2).build();
    b.setWalReceiverStatus("streaming");
    assertInstanceOf(Verdict.Waiting.class, Decisions.standbyFollows(view(b.build()), "b", view(a), "a", 10000));
    assertInstanceOf(Verdict.Ready.class,
        Decisions.standbyFollows(view(b.setTimeline(2).build()), "b", view(a), "a", 10000));
  }

  @Test
  void promotedMeansPrimaryOutOfRecovery() {
    Status.Builder a = Status.newBuilder().setNodeId("a").setState(NodeState.PRIMARY).setPgRunning(true)
        .setInRecovery(true);
    assertInstanceOf(Verdict.Waiting.class, Decisions.promoted(view(a.build()), "a"));
    Verdict v = Decisions.promoted(view(a.setInRecovery(false).setTimeline(2).setCurrentLsn("0/9000000").build()), "a");
    assertEquals("2", ((Verdict.Ready) v).evidence().get("timeline"));
  }

  @Test
  void aTimeoutNamesItsBudgetWhatItWaitedForAndTheLastProgress() {
    // counted from the step's start: Deadline.after (PollTest)
    assertEquals("timed out after 5m waiting for a to catch up; last seen: 3 left",
        Decisions.timedOut(Duration.ofMinutes(5), "a to catch up", "3 left"));
    assertEquals("timed out after 5m waiting for x", Decisions.timedOut(Duration.ofMinutes(5), "x", null));
  }
}
