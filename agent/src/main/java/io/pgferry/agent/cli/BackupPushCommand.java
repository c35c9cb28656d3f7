package io.pgferry.agent.cli;

import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.common.Logging;
import io.pgferry.common.UsageException;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "backup-push", mixinStandardHelpOptions = true,
    description = "Take a base backup of DATADIR into the archive in WAL-E's layout (lzop tar partitions, "
        + "sentinel written last) using the non-exclusive backup API on one connection; works on a primary or a standby. "
        + "WAL needed for consistency must reach the archive through archive_command (wal-push); the push waits for "
        + "the backup's last segment at most --archive-wait seconds.")
public final class BackupPushCommand implements Callable<Integer> {
  @Mixin ArchiveOptions archive;

  @Parameters(index = "0", paramLabel = "DATADIR", description = "The running cluster's data directory.")
  Path dataDir;

  @Option(names = "--pg-host", description = "Server host (default: PGHOST, else 127.0.0.1).")
  String host;

  @Option(names = "--pg-port", description = "Server port (default: PGPORT, else 5432).")
  Integer port;

  @Option(names = "--pg-user", description = "User with backup rights (default: PGUSER, else postgres); password from PGPASSWORD.")
  String user;

  @Option(names = "--partition-size", defaultValue = "1610612736",
      description = "Upper bound of file bytes per tar partition (default ${DEFAULT-VALUE}, as WAL-E).")
  long partitionSize;

  @Option(names = "--upload-concurrency", defaultValue = "2", description = "Partitions uploaded at once (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--archive-wait", defaultValue = "600", paramLabel = "SECONDS",
      description = "How long to wait after the stop for the backup's last WAL segment to reach the archive through "
          + "archive_command, then fail naming it (default ${DEFAULT-VALUE}).")
  long archiveWaitSeconds;

  @Override
  public Integer call() throws Exception {
    Logging.configure(false, Level.INFO);
    if (archiveWaitSeconds <= 0) {
      throw new UsageException("--archive-wait " + archiveWaitSeconds + ": must be a positive number of seconds; e.g. 600");
    }
    String h = host != null ? host : System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    if (h.startsWith("/")) {
      h = "127.0.0.1"; // JDBC speaks TCP only
    }
    int p = port != null ? port : Integer.parseInt(System.getenv().getOrDefault("PGPORT", "5432"));
    PgEndpoint at = new PgEndpoint(h, p, "postgres", user != null ? user : System.getenv().getOrDefault("PGUSER", "postgres"),
        System.getenv("PGPASSWORD"));
    try (ObjectStore store = archive.open(); Connection c = at.connect(Purpose.BACKUP)) {
      BackupPush.Result r = new BackupPush(store, Codecs.writer(), partitionSize, concurrency,
          Duration.ofSeconds(archiveWaitSeconds)).push(c, dataDir);
      System.out.println(r.name());
      return 0;
    }
  }
}
