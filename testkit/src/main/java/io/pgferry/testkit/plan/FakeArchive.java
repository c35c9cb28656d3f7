package io.pgferry.testkit.plan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file archive that holds nothing but one base backup's stop sentinel (WAL-E layout), enough for PREFLIGHT's
 * archive check: for plans of tests whose nodes never restore from it.
 */
public final class FakeArchive {
  /** The sentinel's name: a backup that stopped in segment 000000010000000000000002. */
  public static final String SENTINEL = "base_000000010000000000000002_00000040_backup_stop_sentinel.json";

  private FakeArchive() {}

  /** Writes basebackups_005/{@value #SENTINEL} with {@code sentinelJson} under {@code dir}; returns {@code dir}. */
  public static Path withBackup(Path dir, String sentinelJson) {
    try {
      Path backups = Files.createDirectories(dir.resolve("basebackups_005"));
      Files.writeString(backups.resolve(SENTINEL), sentinelJson);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
