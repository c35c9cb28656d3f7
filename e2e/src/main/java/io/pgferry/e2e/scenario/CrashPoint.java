package io.pgferry.e2e.scenario;

import io.pgferry.controller.journey.JourneyTable;

/**
 * Where the scenario kills the controller (kill -9) and restarts it (no `pgferry resume`: the controller resumes the
 * journey by itself): as soon as the journal shows this step started. With controllers on etcd it kills the leader: a
 * follower continues, and the killed one is started again as a follower.
 */
public enum CrashPoint {
  /** While A restores from the archive and catches up. */
  ARCHIVE_REPLICA(JourneyTable.A_CAUGHT_UP),
  /** Writes blocked, the source fenced: while waiting for A to replay the source's final LSN. */
  CUTOVER_1(JourneyTable.C1_WAIT_REPLAYED),
  /** Right after cutover 1 promoted A (writes still blocked). */
  PROMOTED(JourneyTable.C1_PROMOTE, true),
  /** While LOGICAL_SYNC waits for T to be ready (the app writes to A). */
  LOGICAL_SYNC(JourneyTable.SYNC_WAIT),
  /** While the failover waits for A's lease to run out (A killed, writes paused). */
  FAILOVER_LEASE(JourneyTable.FO_WAIT_LEASE),
  /** Right after cutover 2 fenced A (writes blocked, A fenced): as soon as the journal shows fence_a done. */
  CUTOVER_2_FENCED(JourneyTable.C2_FENCE_A, true),
  /**
   * In the middle of LOGICAL_SETUP's snapshot copy: as soon as T's pgferry.copy_items shows a first item done while
   * others are not (the plan must cut the copy into several items: small logical.split_larger_than, one table job).
   */
  TABLE_COPY(JourneyTable.LS_TABLE_COPY, false, true);

  private final String step;
  private final boolean afterDone;
  private final boolean afterFirstCopyItem;

  CrashPoint(String step) {
    this(step, false);
  }

  CrashPoint(String step, boolean afterDone) {
    this(step, afterDone, false);
  }

  CrashPoint(String step, boolean afterDone, boolean afterFirstCopyItem) {
    this.step = step;
    this.afterDone = afterDone;
    this.afterFirstCopyItem = afterFirstCopyItem;
  }

  /** The kill waits until T's pgferry.copy_items has an item done and one not done. */
  public boolean afterFirstCopyItem() {
    return afterFirstCopyItem;
  }

  public String step() {
    return step;
  }

  /** The kill waits until the step is done (else it comes as soon as the step started). */
  public boolean afterDone() {
    return afterDone;
  }
}
