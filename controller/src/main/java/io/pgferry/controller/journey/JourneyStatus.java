package io.pgferry.controller.journey;

import java.util.List;

/**
 * What `pgferry status` shows (and GET /api/journey returns, snake_case JSON): where the journey is, what it is
 * doing, each node's state and lag, and the journal's last records.
 */
public record JourneyStatus(String state, String phase, String step, String progress, String message, String plan,
                            List<PhaseLine> phases, List<NodeLine> nodes, List<JournalRecord> recent) {
  /** status: done, running, failed, stopped, not_reached (the words of DESIGN.md §11). */
  public record PhaseLine(String name, String status, Double seconds) {}

  public record NodeLine(String id, String role, boolean connected, String state, String goal, long goalGeneration,
                         boolean inRecovery, int timeline, String replayLsn, String currentLsn, long replayLagBytes,
                         long archiveLagSegments, String walReceiverStatus, String transition,
                         String lastError, long leaseRemainingMs) {}
}
