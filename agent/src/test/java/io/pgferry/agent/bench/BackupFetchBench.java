package io.pgferry.agent.bench;

import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.S3Credentials;
import io.pgferry.archive.storage.S3Options;
import io.pgferry.common.Command;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.S3Server;
import io.pgferry.testkit.Workspace;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * backup-fetch throughput: a ~1 GiB pgbench database (scale 70 by default) is pushed once to a directory archive and
 * once to the local S3-compatible server (256 MiB partitions, so there is something to fetch in parallel), then
 * restored by the CLI ({@code pgferry-agent backup-fetch ... LATEST}, default concurrency) from each. Prints wall
 * time (JVM start included) and MB/s of restored data. Baseline ({@link PgBackRestBaseline}): the same cluster backed
 * up by pgbackrest (full, lz4) to a repo directory and restored with process-max 4 (PgBackRestBench line). Not a
 * test: run with scripts/bench-archive backup-fetch [SCALE].
 */
public final class BackupFetchBench {
  /** backup-fetch's default --concurrency, and pgbackrest's process-max. */
  static final int CONCURRENCY = 4;

  public static void main(String[] args) throws Exception {
    int scale = args.length > 0 ? Integer.parseInt(args[0]) : 70;
    long partition = 256L << 20;
    PgBinaries pg = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("bench-fetch"); S3Server s3 = S3Server.start("pgferry-bench")) {
      Path dir = ws.dir("archive");
      String dirUrl = "file://" + dir;
      String s3Url = "s3://pgferry-bench/db";
      S3Options opts = S3Options.DEFAULTS.withRegion("us-east-1").withEndpoint(s3.endpoint(), true)
          .withCredentials(new S3Credentials(S3Server.ACCESS_KEY, S3Server.SECRET_KEY, null));
      BackupPush.Result pushed;
      PgBackRestBaseline pgbackrest = null;
      long pgbackrestBytes = 0;
      try (PgCluster source = PgCluster.init(ws, "source", pg, Map.of("max_wal_size", "'4GB'")).start()) {
        System.out.println("pgbench -i -s " + scale + " ...");
        BenchSupport.pgbench(source, "-i", "-s", String.valueOf(scale), "-q");
        source.execute("CHECKPOINT");
        System.out.println("database size: " + source.queryValue("SELECT pg_size_pretty(pg_database_size('postgres'))"));
        long t0 = System.nanoTime();
        try (ObjectStore store = new DirStore(dir); Connection c = source.connect()) {
          pushed = new BackupPush(store, Codecs.writer(), partition, 2).push(c, source.dataDir());
        }
        System.out.printf("backup-push to the directory: %.1f s%n", BenchSupport.seconds(System.nanoTime() - t0));
        t0 = System.nanoTime();
        try (ObjectStore store = ArchiveLocation.parse(s3Url, opts).open(); Connection c = source.connect()) {
          new BackupPush(store, Codecs.writer(), partition, 2).push(c, source.dataDir());
        }
        System.out.printf("backup-push to S3: %.1f s%n", BenchSupport.seconds(System.nanoTime() - t0));
        if (PgBackRestBaseline.installed()) {
          // the same cluster, archiving to pgbackrest's repo from now on (its backup waits for its WAL)
          pgbackrest = PgBackRestBaseline.configure(ws, source.dataDir(), source.socketDir(), source.port(), CONCURRENCY);
          source.appendConf(pgbackrest.clusterSettings());
          source.restart();
          t0 = System.nanoTime();
          pgbackrestBytes = pgbackrest.backup(source);
          System.out.printf("pgbackrest backup --type=full (lz4, process-max %d): %.1f s, %.0f MB in the repo%n",
              CONCURRENCY, BenchSupport.seconds(System.nanoTime() - t0), pgbackrestBytes / 1e6);
        } else {
          System.out.println("pgbackrest not installed (scripts/install-deps --all): no baseline");
        }
      }
      long compressed = Long.parseLong(Command.of("du", "-sb", dir.resolve("basebackups_005").toString()).runChecked().stdout().split("\\s+")[0]);
      double mb = pushed.expandedBytes() / 1e6;
      System.out.printf("backup %s: %.0f MB expanded, %.0f MB as .lzo, %d partitions%n", pushed.name(), mb, compressed / 1e6, pushed.partitions());

      double fromDir = fetch(ws.root().resolve("restore-dir"), Map.of(), dirUrl);
      double fromS3 = fetch(ws.root().resolve("restore-s3"), Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY,
          "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY, "AWS_REGION", "us-east-1", "AWS_ENDPOINT", s3.endpoint().toString(),
          "AWS_S3_FORCE_PATH_STYLE", "true"), s3Url);
      System.out.printf("BackupFetchBench: %.0f MB backup; directory %.1f s = %.0f MB/s; S3 %.1f s = %.0f MB/s%n",
          mb, fromDir, mb / fromDir, fromS3, mb / fromS3);
      if (pgbackrest != null) {
        double restored = pgbackrest.restore(ws.root().resolve("restore-pgbackrest"));
        // same data, same MB (pgferry's expanded size) so the two MB/s compare wall times
        System.out.printf("PgBackRestBench: %.0f MB backup; pgferry backup-fetch (directory, concurrency %d) %.1f s = %.0f MB/s;"
            + " pgbackrest restore (repo directory, lz4, process-max %d) %.1f s = %.0f MB/s; ratio (pgferry/pgbackrest MB/s) %.2f%n", mb, CONCURRENCY,
            fromDir, mb / fromDir, CONCURRENCY, restored, mb / restored, restored / fromDir);
      }
    }
  }

  private static double fetch(Path target, Map<String, String> env, String url) throws Exception {
    List<String> argv = new ArrayList<>(Arrays.asList(Launchers.javaCommand().split(" ")));
    argv.addAll(List.of("-jar", Launchers.agentJar().toString(), "backup-fetch", "--archive", url, "--os-user", Workspace.PG_USER,
        "--concurrency", String.valueOf(CONCURRENCY), target.toString(), "LATEST"));
    ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    int exit = pb.start().waitFor();
    double s = BenchSupport.seconds(System.nanoTime() - t0);
    if (exit != 0) {
      throw new IllegalStateException("backup-fetch from " + url + " exited " + exit);
    }
    System.out.printf("  backup-fetch from %s: %.1f s%n", url, s);
    Command.of("rm", "-rf", target.toString()).runChecked();
    return s;
  }
}
