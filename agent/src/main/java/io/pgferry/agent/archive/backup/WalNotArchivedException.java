package io.pgferry.agent.archive.backup;

import java.io.IOException;
import java.time.Duration;

/** The backup's last segment did not reach the archive in time: the backup cannot be restored without it. */
public final class WalNotArchivedException extends IOException {
  private final String segment;

  WalNotArchivedException(String segment, Duration timeout, String archive, String archiverStatus) {
    super("WAL segment " + segment + " (the backup's last) did not reach " + archive + " within " + timeout.toSeconds()
        + " s (" + archiverStatus + "); check archive_command on the source (its log says why it fails), "
        + "then run backup-push again (no sentinel was written, so this backup does not count), "
        + "or give it longer with --archive-wait");
    this.segment = segment;
  }

  public String segment() {
    return segment;
  }
}
