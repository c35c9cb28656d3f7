package io.pgferry.agent.archive.replica;

import io.pgferry.agent.archive.backup.BackupFetch;
import io.pgferry.agent.archive.backup.Progress;
import io.pgferry.archive.format.BackupCatalog;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.agent.recovery.RecoveryConfig;
import io.pgferry.common.Command;
import io.pgferry.common.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The ARCHIVE_REPLICA transition up to "ready to start": empty host -> backup-fetch LATEST -> server config for this
 * host (if the backup has none) -> recovery config with restore_command = wal-fetch. Every step checks whether it
 * is already done, so a re-run after a crash continues instead of starting over. Starting PostgreSQL is the caller's.
 */
public final class ArchiveReplicaBuilder {
  private static final Logger LOG = Logger.getLogger(ArchiveReplicaBuilder.class.getName());

  public record Options(Path dataDir, int major, int port, String listenAddresses, Map<String, String> settingOverrides,
                        String restoreCommand, String osUser, int fetchConcurrency) {}

  private ArchiveReplicaBuilder() {}

  /** Returns a sentence saying what was done (for logs and the status page). */
  public static String prepare(ObjectStore store, Options o, Progress progress) throws IOException {
    StringBuilder did = new StringBuilder();
    Path pgVersion = o.dataDir().resolve("PG_VERSION");
    if (!Files.exists(pgVersion)) {
      if (Files.isDirectory(o.dataDir()) && Files.list(o.dataDir()).findAny().isPresent()) {
        throw new UsageException("archive replica: " + o.dataDir() + " is neither empty nor a restored data dir (no PG_VERSION); "
            + "empty it or point postgres.data_dir elsewhere");
      }
      var backup = new BackupFetch(store, o.fetchConcurrency(), progress, o.osUser()).fetch(o.dataDir(), BackupCatalog.LATEST, Map.of());
      did.append("restored ").append(backup.name()).append("; ");
    }
    String version = Files.readString(pgVersion).trim();
    if (!version.equals(String.valueOf(o.major()))) {
      throw new UsageException("archive replica: the backup is PostgreSQL " + version + " but postgres.bin_dir is " + o.major()
          + "; install PostgreSQL " + version + " binaries and point postgres.bin_dir at them");
    }
    Runtime rt = Runtime.getRuntime();
    MemoryBudget budget = MemoryBudget.ofThisHost();
    long memory = budget.bytes();
    Map<String, String> settings = ServerConfig.choose(memory, rt.availableProcessors(), o.port(), o.listenAddresses(), o.settingOverrides());
    if (ServerConfig.writeIfAbsent(o.dataDir(), settings)) {
      did.append("wrote postgresql.conf for ").append(memory >> 20).append(" MiB (").append(budget.source()).append(") / ")
          .append(rt.availableProcessors()).append(" CPUs (shared_buffers ").append(settings.get("shared_buffers"))
          .append("; agent.yaml postgres.settings override it); ");
    }
    new RecoveryConfig(o.dataDir()).apply(o.major(), Map.of("hot_standby", "on"),
        Optional.of(new RecoveryConfig.Standby("", null, o.restoreCommand())));
    chown(o.dataDir(), o.osUser(), List.of("postgresql.conf", "pg_hba.conf", "pg_ident.conf", "recovery.conf",
        RecoveryConfig.MANAGED_FILE, "standby.signal"));
    did.append("recovery config: restore_command = ").append(o.restoreCommand());
    LOG.info("archive replica prepared: " + did);
    return did.toString();
  }

  /** The memory PostgreSQL may use here ({@link MemoryBudget}: MemTotal, or the agent's cgroup limit when lower). */
  static long physicalMemory() {
    return MemoryBudget.ofThisHost().bytes();
  }

  private static void chown(Path dir, String user, List<String> files) {
    if (user == null || !Command.runningAsRoot() || user.equals("root")) {
      return;
    }
    for (String f : files) {
      Path p = dir.resolve(f);
      if (Files.exists(p)) {
        Command.of("chown", user + ":" + user, p.toString()).runChecked();
      }
    }
  }
}
