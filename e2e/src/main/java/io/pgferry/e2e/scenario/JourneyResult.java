package io.pgferry.e2e.scenario;

import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.testkit.LedgerReport;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scenario run measured: the journey's phases and durations (from /api/journey), the write downtime of each
 * cutover (from the ledger), the ledger's verdict on the final database, the replication topology afterwards, and
 * the journal. Facts only; {@link #problems()} lists the invariants that do not hold.
 */
public final class JourneyResult {
  /** One phase as /api/journey reports it (status: done, running, failed, stopped, not_reached). */
  public record PhaseTime(String name, String status, Double seconds) {}

  /** A and B after the journey: A primary on a new timeline, B streaming from it. */
  public record Topology(int sourceTimeline, int aTimeline, boolean aInRecovery, int bTimeline, String bState,
                         String bWalReceiver, String replicationOnA, long rowsOnA, long rowsOnB) {}

  /** The "worker dyno" writing straight to the source: its verdict, and its last row on A against the fence. */
  public record Worker(LedgerReport ledger, long failedAfterFence, Instant fencedAt, Instant lastRowWrittenAt) {}

  /** After cutover 2: one table of T against the last source-side primary. */
  public record TableCheck(String table, long onSource, long onTarget, boolean equal, String how) {}

  /** After cutover 2: one sequence on T against the last source-side primary ("last_value called|not called"). */
  public record SequenceCheck(String sequence, String onSource, String onTarget, boolean equal, String rule) {}

  public int pgMajor;
  /** The run went on through logical replication and cutover 2 (else it ends after cutover 1). */
  public boolean logical;
  /** A was to be killed during LOGICAL_SYNC. */
  public boolean failoverExpected;
  /** Node id of the last source-side primary (a, or b after a failover); the final primary is T. */
  public String lastSourcePrimary;
  public long acknowledgedAfterCutover2;
  public final List<TableCheck> tables = new ArrayList<>();
  public final List<SequenceCheck> sequences = new ArrayList<>();
  /** Cutover 2 from block to unblock, per step (journal STEP_STARTED -> STEP_DONE), plus "total". */
  public final Map<String, Duration> cutover2Steps = new LinkedHashMap<>();
  /** The failover from the kill to the first commit: detection, fence, lease wait, promotion, app repoint, first commit. */
  public final Map<String, Duration> failoverSplit = new LinkedHashMap<>();

  /** Parts of a time as one line, e.g. {@link #failoverSplit}: "detection 3.10 s, fence 0.00 s, ...". */
  public static String durationsLine(Map<String, Duration> parts) {
    StringBuilder sb = new StringBuilder();
    parts.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ')
        .append(String.format("%.2f s", v.toNanos() / 1e9)));
    return sb.toString();
  }
  /** The app's failed writes around the failover, by when (see JourneyTimings.failoverErrors). */
  public final Map<String, Long> failoverErrors = new LinkedHashMap<>();
  public SwitchKind switchKind;
  public String journeyState;
  public String journeyMessage;
  public final List<PhaseTime> phases = new ArrayList<>();
  /** Write downtime per event (cutover_1, later failover and cutover_2). */
  public final Map<String, Duration> downtime = new LinkedHashMap<>();
  public LedgerReport ledger;
  /** CrashPoint.TABLE_COPY: the copy items done on T when the controller was killed. */
  public final List<String> copyItemsDoneAtKill = Collections.synchronizedList(new ArrayList<>());
  /** CrashPoint.TABLE_COPY: the controller's GET /api/journey answer just before the kill (its copy progress). */
  public volatile String journeyAtCopyKill;
  /** DDL statements recorded on the publisher and applied (or skipped) on T; null when not read. */
  public Long ddlRecorded;
  public Long ddlApplied;
  /** T's VACUUM (ANALYZE) before cutover 2 (logical_sync.analyze, the last run): tables and seconds; null when not run. */
  public Integer analyzedTables;
  /** pg_dump --schema-only lines only the last primary or only T has (PG 15 runs); null when not compared. */
  public List<String> schemaDifferences;
  public Double analyzeSeconds;
  public long acknowledgedAfterCutover1;
  public Worker worker;
  public Topology topology;
  public List<JournalFile.Entry> journal = List.of();
  public List<String> appPathChanges = List.of();
  public final List<String> controllerCrashes = new ArrayList<>();
  /** Controller processes (1: the embedded store; more: on etcd, docs/ha.md). */
  public int controllers = 1;
  /** etcd: each time the scenario took the leader away (kill -9 or a partition from etcd) and another took over. */
  public final List<LeaderChange> leaderChanges = new ArrayList<>();
  /** etcd: leader changes the rig saw in the leader key over the run (at least {@link #leaderChanges}' size). */
  public int leaderChangesSeen;

  /**
   * One loss of the leader: {@code cause} ("kill -9" or "partition") at {@code step}; controller {@code from} led,
   * {@code to} took over. {@code faultAt}/{@code faultNanos}: when the fault was injected (wall clock, System.nanoTime);
   * {@code oldStoppedAt}: when the old leader was first seen refusing writes (a partition; null after a kill);
   * {@code newLeaderSeenAt}: when the rig first saw the new leader key; {@code firstRecordSeq}/{@code firstRecordAt}:
   * the new leader's first journal record (its first act); {@code writeGap}: the app's longest write gap around the
   * fault, filled in once the journey ended.
   */
  public static final class LeaderChange {
    public String cause;
    public String step;
    public int from;
    public int to;
    public Instant faultAt;
    public long faultNanos;
    public Instant oldStoppedAt;
    public Instant newLeaderSeenAt;
    public long firstRecordSeq;
    public Instant firstRecordAt;
    public Duration writeGap;
    public Path oldLeaderLog;

    /** From the fault to the new leader's first journal record. */
    public Duration takeover() {
      return Duration.between(faultAt, firstRecordAt);
    }

    @Override
    public String toString() {
      return cause + " of controller " + from + " at " + step + " -> controller " + to + " acted after "
          + takeover().toMillis() + " ms (record #" + firstRecordSeq + ")" + (oldStoppedAt == null ? ""
          : ", old leader refused writes " + Duration.between(faultAt, oldStoppedAt).toMillis() + " ms after the fault")
          + (writeGap == null ? "" : ", write gap " + writeGap.toMillis() + " ms");
    }
  }
  public Path logs;
  public Path workDir;
  /** Outputs of the run that hold a secret the run used ("file: holds the app password"); null: not searched. */
  public List<String> secretLeaks;
  public String controllerUrl;

  public boolean phaseDone(String name) {
    return phases.stream().anyMatch(p -> p.name().equals(name) && "done".equals(p.status()));
  }

  /** The invariants of the run that do not hold (empty: all hold): cutover 1, or the whole journey when logical. */
  public List<String> problems() {
    List<String> p = new ArrayList<>(logical ? logicalProblems() : cutover1Problems());
    if (secretLeaks == null) {
      p.add("the run's outputs were not searched for secrets");
    } else {
      secretLeaks.forEach(leak -> p.add("secret leaked: " + leak));
    }
    return p;
  }

  private List<String> logicalProblems() {
    List<String> p = new ArrayList<>();
    if (!"FINISHED".equals(journeyState) || !phaseDone("CUTOVER_2")) {
      p.add("the journey did not finish through CUTOVER_2 (journey " + journeyState + ": " + journeyMessage + ")");
    }
    if (failoverExpected && !phaseDone("FAILOVER")) {
      p.add("A was killed but FAILOVER is not done");
    }
    if (ledger == null) {
      p.add("no ledger verdict");
    } else {
      if (ledger.lost() != 0) {
        p.add(ledger.lost() + " acknowledged rows lost (on T)");
      }
      if (ledger.duplicated() != 0) {
        p.add(ledger.duplicated() + " rows duplicated (on T)");
      }
      if (acknowledgedAfterCutover2 == 0) {
        p.add("the app wrote nothing to T after cutover 2");
      }
    }
    if (tables.isEmpty()) {
      p.add("no table of T compared with the last primary");
    }
    tables.stream().filter(t -> !t.equal()).forEach(t -> p.add("table " + t.table() + ": " + t.onTarget() + " rows on T, "
        + t.onSource() + " on " + lastSourcePrimary + " (" + t.how() + ")"));
    if (sequences.isEmpty()) {
      p.add("no sequence of T compared with the last primary");
    }
    if (schemaDifferences != null && !schemaDifferences.isEmpty()) {
      p.add("pg_dump --schema-only of " + lastSourcePrimary + " and T differ: " + String.join(" | ", schemaDifferences));
    }
    if (analyzeSeconds == null) {
      p.add("T's tables were not vacuumed and analyzed before cutover 2 (no logical_sync.analyze in the journal)");
    }
    if (ddlRecorded == null || ddlRecorded == 0) {
      p.add("no DDL statement recorded on the publisher (the app's release was not carried)");
    } else if (ddlApplied < ddlRecorded) {
      p.add("DDL: " + ddlApplied + " of " + ddlRecorded + " recorded statement(s) applied on T");
    }
    sequences.stream().filter(s -> !s.equal()).forEach(s -> p.add("sequence " + s.sequence() + ": " + s.onTarget() + " on T, "
        + s.onSource() + " on " + lastSourcePrimary));
    for (String event : failoverExpected ? List.of("cutover_1", "failover", "cutover_2") : List.of("cutover_1", "cutover_2")) {
      if (!downtime.containsKey(event)) {
        p.add("no " + event + " downtime measured");
      }
    }
    return p;
  }

  private List<String> cutover1Problems() {
    List<String> p = new ArrayList<>();
    if (!phaseDone("CUTOVER_1")) {
      p.add("CUTOVER_1 not done (journey " + journeyState + ": " + journeyMessage + ")");
    }
    if (ledger == null) {
      p.add("no ledger verdict");
    } else {
      if (ledger.lost() != 0) {
        p.add(ledger.lost() + " acknowledged rows lost");
      }
      if (ledger.duplicated() != 0) {
        p.add(ledger.duplicated() + " rows duplicated");
      }
      if (acknowledgedAfterCutover1 == 0) {
        p.add("the app wrote nothing after cutover 1");
      }
    }
    if (topology != null) {
      if (topology.aInRecovery() || topology.aTimeline() <= topology.sourceTimeline()) {
        p.add("a is not a primary on a new timeline (timeline " + topology.aTimeline() + ", in recovery "
            + topology.aInRecovery() + ")");
      }
      if (topology.bTimeline() != topology.aTimeline() || !"streaming".equals(topology.bWalReceiver())) {
        p.add("b does not stream from a on its timeline (b: timeline " + topology.bTimeline() + ", wal receiver "
            + topology.bWalReceiver() + "; a: timeline " + topology.aTimeline() + ")");
      }
    } else {
      p.add("topology not checked");
    }
    if (worker != null) {
      if (worker.ledger().lost() != 0 || worker.ledger().duplicated() != 0) {
        p.add("worker dyno: " + worker.ledger().lost() + " lost, " + worker.ledger().duplicated() + " duplicated");
      }
      if (worker.lastRowWrittenAt() != null && worker.fencedAt() != null
          && worker.lastRowWrittenAt().isAfter(worker.fencedAt())) {
        p.add("worker dyno: a row written at " + worker.lastRowWrittenAt() + ", after the fence at " + worker.fencedAt());
      }
    }
    return p;
  }
}
