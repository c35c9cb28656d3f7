package io.pgferry.agent.cluster;

import io.pgferry.proto.BaseBackupMethod;
import io.pgferry.proto.Goal;
import java.nio.file.Path;

/**
 * A way to fill an empty directory with a base backup for a standby. pg_basebackup is built in; the archive engine
 * adds {@link BaseBackupMethod#ARCHIVE} (backup-fetch from the WAL archive). Blocking; runs on the converger thread.
 */
public interface BaseBackupProvider {
  BaseBackupMethod method();

  /** Whether this provider can back up this upstream here (e.g. a pg_basebackup client new enough for it). */
  boolean supports(Goal goal, int upstreamMajor);

  /** One line for Status.transition, e.g. "pg_basebackup from 10.0.0.5:5432". */
  String describe(Goal goal);

  /**
   * Writes a complete base backup into {@code target}, which does not exist yet (its parent does). On failure the
   * caller deletes {@code target}; a half-written backup is never used.
   */
  void fetchInto(Path target, Goal goal) throws Exception;
}
