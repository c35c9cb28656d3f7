package io.pgferry.agent.cli;

import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.agent.archive.wal.AgentWalClient;
import io.pgferry.agent.archive.wal.WalFetch;
import io.pgferry.common.Logging;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "wal-fetch", mixinStandardHelpOptions = true,
    description = "Restore one archived WAL file to DEST; use as restore_command = 'pgferry-agent wal-fetch --archive URL "
        + "[--state-dir DIR] %%f %%p'. When an agent runs (port file in the state dir) it hands over a prefetched copy; "
        + "otherwise the file is fetched directly. Exit 0 restored; 1 not in the archive (quietly); 2 storage still "
        + "failing after retries or bad input; 128 the archived file stays corrupt (PostgreSQL aborts recovery instead "
        + "of ending it early). DEST is written through DEST.tmp and a rename.")
public final class WalFetchCommand implements Callable<Integer> {
  @Mixin ArchiveOptions archive;

  @Parameters(index = "0", paramLabel = "SEGMENT", description = "WAL file name (%%f).")
  String segment;

  @Parameters(index = "1", paramLabel = "DEST", description = "Where PostgreSQL wants it (%%p).")
  Path dest;

  @Option(names = "--state-dir", description = "The agent's state dir holding wal-fetch.port (default: state_dir of --config).")
  Path stateDir;

  @Option(names = "--no-agent", description = "Fetch directly even when an agent runs.")
  boolean noAgent;

  @Override
  public Integer call() throws Exception {
    Logging.configure(false, Level.WARNING);
    Path sd = stateDir != null ? stateDir : archive.stateDir();
    if (!noAgent && sd != null) {
      Optional<WalFetch.Outcome> viaAgent = AgentWalClient.tryDeliver(sd, segment, dest.toAbsolutePath());
      if (viaAgent.isPresent()) {
        return viaAgent.get().exitCode;
      }
    }
    try (ObjectStore store = archive.open()) {
      return new WalFetch(store).fetch(segment, dest).exitCode;
    } catch (IOException e) {
      System.err.println("wal-fetch " + segment + ": " + e.getMessage());
      return 2;
    }
  }
}
