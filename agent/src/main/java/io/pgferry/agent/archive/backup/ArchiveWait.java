package io.pgferry.agent.archive.backup;

import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * The bounded replacement for {@code pg_backup_stop(wait_for_archive => true)}, which waits forever when the
 * source's archive_command keeps failing. A segment counts as archived once it is in our archive (any codec
 * extension), or once PostgreSQL's archiver reports it or a later segment archived (what the server's own wait
 * checks; it covers an archive_command that writes somewhere else than {@code --archive}).
 */
final class ArchiveWait {
  private static final Logger LOG = Logger.getLogger(ArchiveWait.class.getName());
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(15);

  private final ObjectStore store;
  private final Connection connection;
  private final Duration timeout;

  ArchiveWait(ObjectStore store, Connection connection, Duration timeout) {
    this.store = store;
    this.connection = connection;
    this.timeout = timeout;
  }

  /** Returns once {@code segment} is archived. @throws WalNotArchivedException when the timeout passes first. */
  void untilArchived(String segment) throws IOException, SQLException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long nextReport = start + PROGRESS_EVERY.toNanos();
    long pause = 200;
    while (!inStore(segment) && !archiverPassed(segment)) {
      long now = System.nanoTime();
      if (now - deadline >= 0) {
        throw new WalNotArchivedException(segment, timeout, store.describe(), archiverStatus());
      }
      if (now - nextReport >= 0) {
        LOG.info("waiting for WAL segment " + segment + " (the backup's last) to reach " + store.describe() + ": "
            + Duration.ofNanos(now - start).toSeconds() + " s of " + timeout.toSeconds() + " s; " + archiverStatus());
        nextReport = now + PROGRESS_EVERY.toNanos();
      }
      sleep(Math.min(pause, Math.max(1, (deadline - now) / 1_000_000)));
      pause = Math.min(pause * 2, 2_000);
    }
    LOG.info("WAL segment " + segment + " is archived");
  }

  private boolean inStore(String segment) throws IOException {
    String base = ArchiveLayout.WAL + segment;
    for (StoredObject o : store.list(base)) {
      String rest = o.key().substring(base.length());
      if (rest.isEmpty() || (rest.matches("\\.[a-z0-9]+") && Codecs.forExtension(rest).isPresent())) {
        return true;
      }
    }
    return false;
  }

  /** The archiver works through segments in order and retries a failing one, so a later name implies ours. */
  private boolean archiverPassed(String segment) throws SQLException {
    try (Statement st = connection.createStatement();
         ResultSet rs = st.executeQuery("SELECT last_archived_wal FROM pg_stat_archiver")) {
      rs.next();
      String last = rs.getString(1);
      return last != null && last.length() >= 24 && !last.endsWith(".history") && last.substring(0, 24).compareTo(segment) >= 0;
    }
  }

  private String archiverStatus() {
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT archived_count, last_archived_wal, failed_count, last_failed_wal, last_failed_time::text FROM pg_stat_archiver")) {
      rs.next();
      return "pg_stat_archiver: " + rs.getLong(1) + " archived (last " + rs.getString(2) + "), " + rs.getLong(3)
          + " failed" + (rs.getString(4) == null ? "" : " (last " + rs.getString(4) + " at " + rs.getString(5) + ")");
    } catch (SQLException e) {
      return "pg_stat_archiver unreadable: " + e.getMessage();
    }
  }

  private static void sleep(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the archive");
    }
  }
}
