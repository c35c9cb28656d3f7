package io.pgferry.agent.archive.backup;

import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
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
  private static final Duration FIRST_PAUSE = Duration.ofMillis(200);
  private static final Duration MAX_PAUSE = Duration.ofSeconds(2);

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
    Deadline deadline = Deadline.in(timeout);
    try {
      Poll.untilTrue(deadline, FIRST_PAUSE, new Backoff(segment, deadline), "WAL segment " + segment,
          () -> inStore(segment) || archiverPassed(segment));
    } catch (Poll.Timeout e) {
      throw new WalNotArchivedException(segment, timeout, store.describe(), archiverStatus());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the archive");
    } catch (IOException | SQLException | RuntimeException e) {
      throw e; // the check's own
    } catch (Exception e) {
      throw new IllegalStateException(e); // the check throws nothing else
    }
    LOG.info("WAL segment " + segment + " is archived");
  }

  /** Pauses Poll's interval first, doubling up to 2 s, never past the deadline; says every 15 s where the wait stands. */
  private final class Backoff implements Poll.Pause {
    private final String segment;
    private final Deadline deadline;
    private long nextReport = System.nanoTime() + PROGRESS_EVERY.toNanos();
    private Duration next; // null: Poll's interval

    Backoff(String segment, Deadline deadline) {
      this.segment = segment;
      this.deadline = deadline;
    }

    @Override
    public void pause(Duration interval) throws InterruptedException {
      long now = System.nanoTime();
      if (now - nextReport >= 0) {
        LOG.info("waiting for WAL segment " + segment + " (the backup's last) to reach " + store.describe() + ": "
            + timeout.minus(deadline.remaining()).toSeconds() + " s of " + timeout.toSeconds() + " s; " + archiverStatus());
        nextReport = now + PROGRESS_EVERY.toNanos();
      }
      Duration pause = next == null ? interval : next;
      Thread.sleep(Math.min(pause.toMillis(), Math.max(1, deadline.remaining().toMillis())));
      next = pause.multipliedBy(2).compareTo(MAX_PAUSE) < 0 ? pause.multipliedBy(2) : MAX_PAUSE;
    }
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
}
