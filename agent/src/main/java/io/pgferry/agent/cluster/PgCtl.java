package io.pgferry.agent.cluster;

import io.pgferry.common.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** pg_ctl for the agent's data directory, run as the PostgreSQL OS user when the agent runs as root. Blocking. */
public final class PgCtl {
  private final Path binDir;
  private final Path dataDir;
  private final String osUser;

  public PgCtl(Path binDir, Path dataDir, String osUser) {
    this.binDir = binDir;
    this.dataDir = dataDir;
    this.osUser = osUser;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Server log of pg_ctl start: beside the data dir, so pg_basebackup never copies it. */
  public Path logFile() {
    return dataDir.resolveSibling(dataDir.getFileName() + ".log");
  }

  public void start() {
    pgCtl("start", "-w", "-t", "300", "-l", logFile().toString()).runChecked();
  }

  public void restart() {
    pgCtl("restart", "-w", "-t", "300", "-m", "fast", "-l", logFile().toString()).runChecked();
  }

  public void stopFast() {
    if (isRunning()) {
      pgCtl("stop", "-w", "-t", "120", "-m", "fast").runChecked();
    }
  }

  public void promote() {
    pgCtl("promote", "-w", "-t", "120").runChecked();
  }

  public void reload() {
    pgCtl("reload").runChecked();
  }

  /** What `pg_ctl status` checks, without a process: the postmaster.pid file names a live process. */
  public boolean isRunning() {
    Path pidFile = dataDir.resolve("postmaster.pid");
    try {
      if (!Files.exists(pidFile)) {
        return false;
      }
      List<String> lines = Files.readAllLines(pidFile);
      if (lines.isEmpty()) {
        return false;
      }
      long pid = Long.parseLong(lines.get(0).trim());
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  private Command pgCtl(String... args) {
    List<String> argv = new ArrayList<>(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString()));
    argv.addAll(List.of(args));
    return Command.of(argv).as(osUser).timeout(Duration.ofMinutes(6));
  }
}
