package io.pgferry.agent.archive.backup;

import io.pgferry.agent.archive.backup.DataDirScanner.Member;
import io.pgferry.archive.codec.Codec;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.format.WaleSentinel;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.common.Lsn;
import io.pgferry.common.UsageException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * {@code backup-push}: a WAL-E-layout base backup taken with the non-exclusive low-level API on one connection held
 * open for the whole copy (so it works on a primary and on a standby, PG 10+). Data partitions are
 * {@code part_00000001...}; {@code part_00000000} holds backup_label and tablespace_map from the stop call and is
 * written after it; the sentinel is written last, so a backup exists only once it is complete. The stop does not
 * wait for the archive (that wait has no bound); where the server would have waited, {@link ArchiveWait} waits for
 * the backup's last segment at most {@code archiveWait} and fails naming it.
 */
public final class BackupPush {
  private static final Logger LOG = Logger.getLogger(BackupPush.class.getName());
  public static final long DEFAULT_PARTITION_BYTES = 1_610_612_736L;
  public static final Duration DEFAULT_ARCHIVE_WAIT = Duration.ofMinutes(10);

  private final ObjectStore store;
  private final Codec codec;
  private final long partitionBytes;
  private final int concurrency;
  private final Duration archiveWait;

  public BackupPush(ObjectStore store, Codec codec, long partitionBytes, int concurrency) {
    this(store, codec, partitionBytes, concurrency, DEFAULT_ARCHIVE_WAIT);
  }

  /** {@code archiveWait}: how long the stop may wait for the backup's last WAL segment to be archived. */
  public BackupPush(ObjectStore store, Codec codec, long partitionBytes, int concurrency, Duration archiveWait) {
    this.store = store;
    this.codec = codec;
    this.partitionBytes = partitionBytes;
    this.concurrency = concurrency;
    this.archiveWait = archiveWait;
  }

  public record Result(String name, String stopSegment, long expandedBytes, int partitions) {}

  /** {@code connection} must be a superuser or have the backup privileges; it stays open until the stop. */
  public Result push(Connection connection, Path dataDir) throws IOException, SQLException {
    ServerFacts facts = ServerFacts.read(connection);
    String label = "pgferry_" + Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Lsn start = startBackup(connection, facts.versionNum(), label);
    boolean stopped = false;
    try {
      int timeline = checkpointTimeline(connection);
      String name = ArchiveLayout.waleBackupName(WalNames.fileNameForLsn(timeline, start.value(), facts.segmentSize()),
          WalNames.offsetField(start.value(), facts.segmentSize()));
      LOG.info("backup " + name + " started at " + start + " (PG " + facts.versionNum() + (facts.inRecovery() ? ", standby" : "") + ")");
      store.put(ArchiveLayout.extendedVersionKey(name), new ByteArrayInputStream(facts.version().getBytes(StandardCharsets.UTF_8)),
          facts.version().getBytes(StandardCharsets.UTF_8).length);

      List<List<Member>> parts = TarPartitionWriter.partition(DataDirScanner.scan(dataDir), partitionBytes);
      long expanded = uploadPartitions(name, parts);

      StopResult stop = stopBackup(connection, facts.versionNum());
      stopped = true;
      int stopTimeline = facts.inRecovery() ? checkpointTimeline(connection) : timeline;
      if (facts.serverWouldWaitForArchive()) {
        // the server's own wait (wait_for_archive => true) has no bound; this one does
        String last = WalNames.fileNameForLsn(stopTimeline, stop.lsn().value() - 1, facts.segmentSize());
        new ArchiveWait(store, connection, archiveWait).untilArchived(last);
      }
      Map<String, byte[]> labelFiles = new LinkedHashMap<>();
      labelFiles.put("backup_label", stop.labelFile().getBytes(StandardCharsets.UTF_8));
      if (stop.tablespaceMap() != null && !stop.tablespaceMap().isBlank()) {
        labelFiles.put("tablespace_map", stop.tablespaceMap().getBytes(StandardCharsets.UTF_8));
      }
      StreamUpload.put(store, ArchiveLayout.walePartitionKey(name, 0), out -> {
        try (OutputStream c = codec.compress(out)) {
          TarPartitionWriter.writeFiles(labelFiles, c);
        }
      });
      String stopSegment = WalNames.fileNameForLsn(stopTimeline, stop.lsn().value(), facts.segmentSize());
      WaleSentinel sentinel = new WaleSentinel(stopSegment, WalNames.offsetField(stop.lsn().value(), facts.segmentSize()),
          expanded, store.describe() + "/" + ArchiveLayout.backupDir(name), parseTablespaceMap(stop.tablespaceMap()));
      byte[] json = sentinel.toJson();
      store.put(ArchiveLayout.sentinelKey(name), new ByteArrayInputStream(json), json.length);
      LOG.info("backup " + name + " complete: " + expanded + " bytes in " + (parts.size() + 1) + " partitions, stop " + stop.lsn());
      return new Result(name, stopSegment, expanded, parts.size() + 1);
    } finally {
      if (!stopped) {
        abort(connection, facts.versionNum());
      }
    }
  }

  private long uploadPartitions(String name, List<List<Member>> parts) throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, concurrency));
    AtomicLong expanded = new AtomicLong();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < parts.size(); i++) {
        int number = i + 1;
        List<Member> members = parts.get(i);
        futures.add(pool.submit(() -> {
          StreamUpload.put(store, ArchiveLayout.walePartitionKey(name, number), out -> {
            try (OutputStream c = codec.compress(out)) {
              expanded.addAndGet(TarPartitionWriter.write(members, c));
            }
          });
          LOG.fine("uploaded partition " + number + " of " + parts.size());
          return null;
        }));
      }
      PartitionTasks.awaitAll(futures);
      return expanded.get();
    } finally {
      pool.shutdownNow();
    }
  }

  static Map<String, String> parseTablespaceMap(String map) {
    Map<String, String> out = new LinkedHashMap<>();
    if (map == null) {
      return out;
    }
    for (String line : map.split("\n")) {
      int sp = line.indexOf(' ');
      if (sp > 0) {
        out.put(line.substring(0, sp), line.substring(sp + 1));
      }
    }
    return out;
  }

  private static Lsn startBackup(Connection c, int version, String label) throws SQLException {
    String sql = version >= 150000 ? "SELECT pg_backup_start(?, true)::text" : "SELECT pg_start_backup(?, true, false)::text";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, label);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return Lsn.parse(rs.getString(1));
      }
    }
  }

  private record StopResult(Lsn lsn, String labelFile, String tablespaceMap) {}

  /** Ends the backup without waiting for the archive (PG 15+: pg_backup_stop(wait_for_archive); 10-14: pg_stop_backup(exclusive, wait_for_archive)). */
  private static StopResult stopBackup(Connection c, int version) throws SQLException {
    String sql = version >= 150000
        ? "SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)"
        : "SELECT lsn::text, labelfile, spcmapfile FROM pg_stop_backup(false, false)";
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return new StopResult(Lsn.parse(rs.getString(1)), rs.getString(2), rs.getString(3));
    }
  }

  private static void abort(Connection c, int version) {
    try (Statement st = c.createStatement()) {
      st.execute(version >= 150000 ? "SELECT pg_backup_stop(false)" : "SELECT pg_stop_backup(false, false)");
    } catch (SQLException e) {
      LOG.warning("could not end the failed backup (it ends when the connection closes): " + e.getMessage());
    }
  }

  private static int checkpointTimeline(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT timeline_id FROM pg_control_checkpoint()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  record ServerFacts(int versionNum, String version, long segmentSize, boolean inRecovery, String archiveMode) {
    /** When wait_for_archive => true would wait: archiving on a primary, or archive_mode = always on a standby. */
    boolean serverWouldWaitForArchive() {
      return inRecovery ? archiveMode.equals("always") : !archiveMode.equals("off");
    }

    static ServerFacts read(Connection c) throws SQLException {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
          "SELECT current_setting('server_version_num')::int, version(), "
              + "pg_size_bytes(current_setting('wal_segment_size')), pg_is_in_recovery(), current_setting('archive_mode')")) {
        rs.next();
        if (rs.getInt(1) < 100000) {
          throw new UsageException("backup-push: PostgreSQL " + rs.getInt(1) + " is too old; pgferry needs 10 or newer");
        }
        return new ServerFacts(rs.getInt(1), rs.getString(2), rs.getLong(3), rs.getBoolean(4), rs.getString(5));
      }
    }
  }
}
