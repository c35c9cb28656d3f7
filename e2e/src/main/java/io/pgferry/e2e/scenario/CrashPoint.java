package io.pgferry.e2e.scenario;

import io.pgferry.controller.journey.JourneyTable;

/** Where the scenario kills the controller (kill -9) and restarts it (no `pgferry resume`: the
 * controller resumes the journey by itself): as soon as the journal shows this step started. */
public enum CrashPoint {
  /** While A restores from the archive and catches up. */
  ARCHIVE_REPLICA(JourneyTable.A_CAUGHT_UP),
  /** Writes blocked, the source fenced: while waiting for A to replay the source's final LSN. */
  CUTOVER_1(JourneyTable.C1_WAIT_REPLAYED),
  /** Right after cutover 2 fenced A (writes blocked, A fenced): while waiting for T to apply A's last LSN. */
  CUTOVER_2_FENCED(JourneyTable.C2_WAIT_APPLIED);

  private final String step;

  CrashPoint(String step) {
    this.step = step;
  }

  public String step() {
    return step;
  }
}
