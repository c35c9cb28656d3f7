package io.pgferry.agent.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.common.Command;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * backup-push no longer hangs in pg_backup_stop / pg_stop_backup when the source's archive_command fails: with
 * {@code archive_command = 'false'} the CLI ends within --archive-wait naming the segment it waited for; once
 * archive_command works again, a push waits for that segment and returns only when it is in the archive.
 */
class BackupPushArchiveWaitIT {
  static final Pattern WAITED = Pattern.compile("WAL segment ([0-9A-F]{24}) \\(the backup's last\\) did not reach");

  @ParameterizedTest(name = "PG {0}")
  @ValueSource(ints = {15, 11})
  void failingArchiveCommandEndsTheStopWithinTheTimeout(int major) throws Exception {
    try (Workspace ws = Workspace.create("backup-archive-wait" + major)) {
      Path archiveDir = ws.dir("archive");
      Map<String, String> settings = Map.of("archive_mode", "on", "archive_command", "'false'");
      try (PgCluster source = PgCluster.init(ws, "source", PgBinaries.forMajor(major), settings).start()) {
        source.execute("CREATE TABLE t AS SELECT g, md5(g::text) FROM generate_series(1, 5000) g");

        // 1. archive_command = 'false': the CLI fails after its 4 s wait instead of hanging
        int waitSeconds = 4;
        long t0 = System.nanoTime();
        Command.Result failed = Command.of(List.of("sh", "-c", Launchers.agentCommandLine() + " backup-push --archive file://"
                + archiveDir + " --pg-host 127.0.0.1 --pg-port " + source.port() + " --pg-user postgres --archive-wait "
                + waitSeconds + " --partition-size 8388608 " + source.dataDir()))
            .timeout(Duration.ofSeconds(120)).run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("PG %d: backup-push with a failing archive_command ended after %.1f s (exit %d): %s%n", major, seconds,
            failed.exitCode(), failed.stderr().strip());
        assertEquals(1, failed.exitCode(), failed.stdout() + failed.stderr());
        Matcher m = WAITED.matcher(failed.stderr());
        assertTrue(m.find(), failed.stderr());
        assertTrue(failed.stderr().contains("check archive_command on the source"), failed.stderr());
        assertTrue(seconds >= waitSeconds && seconds < waitSeconds + 60, "ended after " + seconds + " s");
        String segment = m.group(1);
        assertTrue(Files.exists(source.dataDir().resolve("pg_wal/archive_status/" + segment + ".ready")),
            segment + " is the segment PostgreSQL still has to archive");
        try (ObjectStore store = new DirStore(archiveDir)) {
          assertTrue(store.list(ArchiveLayout.BASEBACKUPS).stream().noneMatch(o -> o.key().endsWith(ArchiveLayout.SENTINEL_SUFFIX)),
              "no sentinel for a backup whose WAL is not archived");
        }

        // 2. archive_command fails until a marker exists: the push waits in its stop, then returns once the
        //    backup's last segment is in the archive
        Path marker = ws.dir("marker").resolve("archive-ok");
        String walPush = Launchers.agentCommandLine() + " wal-push --archive file://" + archiveDir + " %p";
        source.execute("ALTER SYSTEM SET archive_command = 'test -f " + marker + " && " + walPush + "'", "SELECT pg_reload_conf()");
        Set<String> historyBefore = pendingBackupHistoryFiles(source);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ObjectStore store = new DirStore(archiveDir); Connection c = source.connect()) {
          Future<BackupPush.Result> push = pool.submit(() ->
              new BackupPush(store, Codecs.writer(), 8L << 20, 2, Duration.ofSeconds(180)).push(c, source.dataDir()));
          ArchiveRoundTripIT.waitFor(Duration.ofSeconds(60), () -> push.isDone() || !historyBefore.containsAll(pendingBackupHistoryFiles(source)),
              () -> "the backup never stopped; log:\n" + ArchiveRoundTripIT.tail(source.log()));
          assertFalse(push.isDone(), "backup-push returned while archive_command still fails");
          Files.writeString(marker, "ok");
          source.execute("SELECT pg_reload_conf()"); // wakes the archiver, which otherwise retries after a minute
          BackupPush.Result r = push.get(180, TimeUnit.SECONDS);
          assertFalse(store.list(ArchiveLayout.WAL + r.stopSegment()).isEmpty(), r.stopSegment() + " archived when push returned");
          assertTrue(store.exists(ArchiveLayout.sentinelKey(r.name())), "sentinel written");
        } finally {
          pool.shutdownNow();
        }
      }
    }
  }

  /** {@code <segment>.<offset>.backup} files waiting for archive_command: pg_backup_stop writes one. */
  static Set<String> pendingBackupHistoryFiles(PgCluster c) {
    try (Stream<Path> files = Files.list(c.dataDir().resolve("pg_wal/archive_status"))) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".backup.ready")).collect(Collectors.toSet());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
