package io.pgferry.agent.cluster;

import io.pgferry.common.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
  private final int port;

  public PgCtl(Path binDir, Path dataDir, String osUser) {
    this(binDir, dataDir, osUser, 0);
  }

  /**
   * {@code port} (0: whatever the configuration says) is passed on the command line at each start: a cluster the
   * agent adopted may have been started with {@code -p} before (postgresql.conf then names another port, or none),
   * and the agent's configured port is the one everything else connects to.
   */
  public PgCtl(Path binDir, Path dataDir, String osUser, int port) {
    this.binDir = binDir;
    this.dataDir = dataDir;
    this.osUser = osUser;
    this.port = port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Server log of pg_ctl start: beside the data dir, so pg_basebackup never copies it. */
  public Path logFile() {
    return dataDir.resolveSibling(dataDir.getFileName() + ".log");
  }

  public void start() {
    runStarting(withPort("start", "-w", "-t", "300", "-l", logFile().toString()));
  }

  public void restart() {
    runStarting(withPort("restart", "-w", "-t", "300", "-m", "fast", "-l", logFile().toString()));
  }

  /** A failed start says why: pg_ctl only prints "could not start server", the cause is in the server log. */
  private void runStarting(String... args) {
    long logBefore = logSize();
    Command.Result r = pgCtl(args).run();
    if (!r.ok()) {
      throw new IllegalStateException("pg_ctl " + args[0] + " exited " + r.exitCode() + ": " + serverLogSince(logBefore)
          + " (server log " + logFile() + ")", new Command.CommandFailedException(r));
    }
  }

  private long logSize() {
    try {
      return Files.exists(logFile()) ? Files.size(logFile()) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** What the server logged since {@code offset}: up to the first FATAL/PANIC with the two lines before it, else the tail. */
  private String serverLogSince(long offset) {
    try {
      byte[] all = Files.exists(logFile()) ? Files.readAllBytes(logFile()) : new byte[0];
      String added = new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
          StandardCharsets.UTF_8);
      List<String> lines = added.lines().filter(l -> !l.isBlank()).toList();
      int fatal = 0;
      while (fatal < lines.size() && !lines.get(fatal).contains("FATAL") && !lines.get(fatal).contains("PANIC")) {
        fatal++;
      }
      int end = fatal < lines.size() ? fatal + 1 : lines.size();
      List<String> pick = lines.subList(Math.max(0, end - 3), end);
      return pick.isEmpty() ? "the server log says nothing" : String.join(" | ", pick);
    } catch (IOException | RuntimeException e) {
      return "the server log cannot be read: " + e.getMessage();
    }
  }

  private String[] withPort(String... args) {
    if (port == 0) {
      return args;
    }
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-o", "-p " + port));
    return all.toArray(String[]::new);
  }

  public void stopFast() {
    if (isRunning()) {
      pgCtl("stop", "-w", "-t", "120", "-m", "fast").runChecked();
    }
  }

  public void promote() {
    pgCtl("promote", "-w", "-t", "120").runChecked();
  }

  /**
   * Asks for the promotion and returns at once (`pg_ctl promote -W`: the promote file, then SIGUSR1 to the
   * postmaster). Safe to repeat while the server is in recovery; fails once it no longer is.
   */
  public void signalPromote() {
    pgCtl("promote", "-W").runChecked();
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
