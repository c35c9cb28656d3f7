package io.pgferry.testkit.plan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file archive that holds one base backup's stop sentinel (WAL-E layout) and the WAL segment it starts in, enough
 * for PREFLIGHT's archive check: for plans of tests whose nodes never restore from it.
 */
public final class FakeArchive {
  /** The sentinel's name: a backup that stopped in segment 000000010000000000000002. */
  public static final String SENTINEL = "base_000000010000000000000002_00000040_backup_stop_sentinel.json";
  public static final String START_SEGMENT = "000000010000000000000002";

  private FakeArchive() {}

  /**
   * Writes basebackups_005/{@value #SENTINEL} with {@code sentinelJson} and wal_005/{@value #START_SEGMENT}.lzo under
   * {@code dir}; returns {@code dir}.
   */
  public static Path withBackup(Path dir, String sentinelJson) {
    try {
      Path backups = Files.createDirectories(dir.resolve("basebackups_005"));
      Files.writeString(backups.resolve(SENTINEL), sentinelJson);
      Files.writeString(Files.createDirectories(dir.resolve("wal_005")).resolve(START_SEGMENT + ".lzo"), "segment");
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
