package io.pgferry.agent.cli;

import io.pgferry.agent.archive.backup.BackupFetch;
import io.pgferry.agent.archive.backup.TerminalProgressBar;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.common.Logging;
import io.pgferry.common.UsageException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "backup-fetch", mixinStandardHelpOptions = true,
    description = "Restore base backup NAME (or LATEST) from the archive into DATADIR, which must be empty or missing: "
        + "parallel download, decompression by extension (WAL-E .lzo; WAL-G formats), untar with modes and symlinks, "
        + "tablespaces at their recorded (or remapped) locations, pg_wal/ created empty. It writes no recovery config. "
        + "An unknown NAME fails with the list of available backups (exit 2).")
public final class BackupFetchCommand implements Callable<Integer> {
  @Mixin ArchiveOptions archive;

  @Parameters(index = "0", paramLabel = "DATADIR", description = "Empty or missing target directory.")
  Path dataDir;

  @Parameters(index = "1", paramLabel = "NAME|LATEST", description = "Backup name from backup-list, or LATEST (newest sentinel).")
  String name;

  @Option(names = "--concurrency", defaultValue = "4", description = "Partitions downloaded at once (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--tablespace", paramLabel = "OID=DIR", description = "Restore tablespace OID into DIR instead of its source location (repeatable).")
  List<String> tablespaces = List.of();

  @Option(names = "--os-user", description = "Owner of the restored files when running as root (default: postgres.os_user of --config, else postgres).")
  String osUser;

  @Override
  public Integer call() throws Exception {
    Logging.configure(false, Level.INFO);
    Map<String, Path> remap = new LinkedHashMap<>();
    for (String t : tablespaces) {
      int eq = t.indexOf('=');
      if (eq <= 0 || !t.substring(0, eq).matches("\\d+") || !t.substring(eq + 1).startsWith("/")) {
        throw new UsageException("--tablespace " + t + ": expected OID=/absolute/dir");
      }
      remap.put(t.substring(0, eq), Path.of(t.substring(eq + 1)));
    }
    try (ObjectStore store = archive.open()) {
      new BackupFetch(store, concurrency, TerminalProgressBar.forStderr(), osUser != null ? osUser : archive.osUser())
          .fetch(dataDir.toAbsolutePath(), name, remap);
      return 0;
    }
  }
}
