package io.pgferry.controller.journey;

import io.pgferry.controller.sql.copy.CopyProgress;
import java.util.List;

/**
 * What `pgferry status` shows (and GET /api/journey returns, snake_case JSON): where the journey is, what it is
 * doing, each node's state and lag, and the journal's last records.
 */
public record JourneyStatus(String state, String phase, String step, String progress, String message, String plan,
                            List<PhaseLine> phases, List<NodeLine> nodes, List<JournalRecord> recent, Hold hold,
                            Summary summary, Copy copy) {
  /**
   * The snapshot copy while logical_setup.table_copy runs (null otherwise): overall percent (by A's table sizes), items
   * (tables and ranges) done, COPY bytes streamed and rows committed, MB/s, seconds left, and the same per table.
   */
  public record Copy(double percent, int itemsDone, int items, long bytes, long rows, double mbPerSecond, Long etaSeconds,
                     List<CopyProgress.TableView> tables) {
    static Copy of(CopyProgress.View v) {
      return v == null ? null : new Copy(v.percent(), v.itemsDone(), v.items(), v.bytes(), v.rows(), v.mbPerSecond(),
          v.eta() == null ? null : v.eta().toSeconds(), v.tables());
    }
  }

  /**
   * The journey waits before {@code phase} (state HELD): since when, the instant a `pgferry proceed --at` set (null:
   * none), the lag now, and what the cutover will do (as `pgferry plan` shows it).
   */
  public record Hold(String phase, String since, String proceedAt, String lag, String plan) {}

  /**
   * After the journey finished: where the app points, the downtime of each cutover and failover (writes blocked, from
   * the journal's step times), what is still running, and whether `pgferry finish` decommissioned it.
   */
  public record Summary(String appPointsTo, List<Downtime> downtimes, List<String> stillRunning, boolean decommissioned,
                        String next) {}

  /** {@code seconds}: from the step that blocked writes starting to the step that unblocked them done. */
  public record Downtime(String event, double seconds, String measured) {}

  /** status: done, running, failed, stopped, not_reached (the words of DESIGN.md §11). */
  public record PhaseLine(String name, String status, Double seconds) {}

  public record NodeLine(String id, String role, boolean connected, String state, String goal, long goalGeneration,
                         boolean inRecovery, int timeline, String replayLsn, String currentLsn, long replayLagBytes,
                         long archiveLagSegments, String walReceiverStatus, String transition,
                         String lastError, long leaseRemainingMs) {}
}
