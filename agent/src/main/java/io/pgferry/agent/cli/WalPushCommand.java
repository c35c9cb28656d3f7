package io.pgferry.agent.cli;

import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.agent.archive.wal.WalPush;
import io.pgferry.common.Logging;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "wal-push", mixinStandardHelpOptions = true,
    description = "Archive one WAL file as wal_005/<name>.lzo; use as archive_command = 'pgferry-agent wal-push --archive URL %%p'. "
        + "Idempotent: an identical object already archived exits 0; a different one exits 1 with an error (PostgreSQL keeps "
        + "the file and retries). Storage errors are retried with backoff, then exit 1.")
public final class WalPushCommand implements Callable<Integer> {
  @Mixin ArchiveOptions archive;

  @Parameters(index = "0", paramLabel = "PATH", description = "The WAL file (%%p).")
  Path path;

  @Override
  public Integer call() throws Exception {
    Logging.configure(false, Level.WARNING);
    try (ObjectStore store = archive.open()) {
      new WalPush(store, Codecs.writer()).push(path);
      return 0;
    } catch (WalPush.ConflictException e) {
      System.err.println("wal-push: " + e.getMessage());
      return 1;
    }
  }
}
