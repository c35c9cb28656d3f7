package io.pgferry.controller.journey;

import java.time.Instant;
import java.util.Optional;

/** Reads what the WAL archive holds, from the controller, without restoring anything. Blocking. */
public interface ArchiveInspector {
  /** The newest complete base backup (one whose sentinel exists), or empty when there is none. */
  Optional<Backup> latestBackup(String archiveUrl) throws Exception;

  /** {@code pgMajor} and {@code expandedBytes} are 0 when the archive does not say. */
  record Backup(String name, long expandedBytes, int pgMajor, Instant finishedAt) {}
}
