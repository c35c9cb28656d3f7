package io.pgferry.agent.bench;

import io.pgferry.common.Command;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The baseline of issue #8 for backup-fetch: Debian's pgbackrest (repo in a local directory under the workspace, run
 * as postgres) backs up the same cluster (full, lz4: the nearest to pgferry's .lzo partitions) and restores it into an
 * empty directory with process-max equal to backup-fetch's concurrency. Config, repo, logs and locks stay in the
 * workspace (/root is 0700 and postgres runs pgbackrest).
 */
final class PgBackRestBaseline {
  static final String STANZA = "bench";
  static final Path BINARY = Path.of("/usr/bin/pgbackrest");

  private final Path home;
  private final Path config;

  private PgBackRestBaseline(Path home) {
    this.home = home;
    this.config = home.resolve("pgbackrest.conf");
  }

  static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  /** Writes the config for a cluster whose data dir, port and socket dir are known before it starts. */
  static PgBackRestBaseline configure(Workspace ws, Path pgDataDir, Path socketDir, int port, int processMax) throws Exception {
    Path home = ws.dir("pgbackrest");
    PgBackRestBaseline b = new PgBackRestBaseline(home);
    Files.writeString(b.config, """
        [global]
        repo1-path=%s
        repo1-retention-full=1
        compress-type=lz4
        process-max=%d
        start-fast=y
        log-level-console=warn
        log-level-file=off
        lock-path=%s
        spool-path=%s

        [%s]
        pg1-path=%s
        pg1-port=%d
        pg1-socket-path=%s
        """.formatted(home.resolve("repo"), processMax, home.resolve("lock"), home.resolve("spool"), STANZA, pgDataDir,
        port, socketDir));
    Command.of("chown", "-R", Workspace.PG_USER + ":", home.toString()).runChecked();
    return b;
  }

  /** archive_command for the cluster being backed up (pgbackrest's backup waits for its WAL to be archived). */
  Map<String, String> clusterSettings() {
    return Map.of("archive_mode", "on",
        "archive_command", "'" + BINARY + " --config=" + config + " --stanza=" + STANZA + " archive-push %p'");
  }

  /** stanza-create + a full backup; returns the repo's backup size in bytes (compressed). */
  long backup(PgCluster source) throws Exception {
    run("stanza-create");
    run("--type=full", "backup");
    return Long.parseLong(Command.of("du", "-sb", home.resolve("repo/backup").toString()).runChecked().stdout().split("\\s+")[0]);
  }

  /** pgbackrest restore into {@code target} (created empty); wall seconds. Removes it afterwards. */
  double restore(Path target) throws Exception {
    Command.of("mkdir", "-m", "0700", target.toString()).as(Workspace.PG_USER).runChecked();
    long t0 = System.nanoTime();
    run("--pg1-path=" + target, "restore");
    double s = BenchSupport.seconds(System.nanoTime() - t0);
    System.out.printf("  pgbackrest restore: %.1f s%n", s);
    Command.of("rm", "-rf", target.toString()).runChecked();
    return s;
  }

  private void run(String... args) {
    List<String> argv = new ArrayList<>(List.of(BINARY.toString(), "--config=" + config, "--stanza=" + STANZA));
    argv.addAll(List.of(args));
    Command.of(argv).as(Workspace.PG_USER).timeout(Duration.ofMinutes(30)).runChecked();
  }
}
