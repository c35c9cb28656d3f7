package io.pgferry.controller.journey;

import io.pgferry.controller.plan.Plan;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Reads what the WAL archive holds, from the controller, without restoring anything. Blocking. */
public interface ArchiveInspector {
  /** The newest complete base backup (one whose sentinel exists) with the WAL after it, or empty when there is none. */
  Optional<Backup> latestBackup(Plan.Archive archive) throws Exception;

  /**
   * {@code pgMajor} and {@code expandedBytes} are 0 when the archive does not say; {@code walProblems}: why recovery
   * from this backup would stop short (WAL gaps, a history file missing), one sentence each.
   */
  record Backup(String name, long expandedBytes, int pgMajor, Instant finishedAt, List<String> walProblems) {
    public Backup(String name, long expandedBytes, int pgMajor, Instant finishedAt) {
      this(name, expandedBytes, pgMajor, finishedAt, List.of());
    }
  }
}
