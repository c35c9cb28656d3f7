package io.pgferry.agent.bench;

import io.pgferry.agent.archive.backup.BackupFetch;
import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.agent.archive.backup.Progress;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.BackupCatalog;
import io.pgferry.agent.archive.replica.AgentLauncher;
import io.pgferry.agent.archive.replica.ArchiveReplicaBuilder;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.agent.archive.wal.WalFetchEndpoint;
import io.pgferry.agent.archive.wal.WalPrefetcher;
import io.pgferry.common.Command;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Replays ~1 GiB of archived WAL (64 segments by default) into an archive replica twice and prints both times:
 * restore_command = bin/pgferry-agent wal-fetch (curl to the prefetching endpoint, which downloads and decompresses
 * the next segments of the directory archive in parallel) vs. a plain {@code cp} from an uncompressed copy of the
 * same WAL. Same base backup, same settings; the clock runs from pg_ctl start until the replica has replayed the
 * source's last LSN; rounds alternate and the best of each is compared. Not a test: run with
 * scripts/bench-archive wal-replay [SEGMENTS [PREFETCH [ROUNDS]]].
 */
public final class WalReplayBench {
  private static final long SEGMENT = 16L << 20;

  public static void main(String[] args) throws Exception {
    int segments = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int prefetch = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    PgBinaries pg = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("bench-wal")) {
      Path archive = ws.dir("archive");
      String url = "file://" + archive;
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("archive_mode", "on");
      settings.put("archive_command", "'" + BenchSupport.agentLauncher() + " wal-push --archive " + url + " %p'");
      settings.put("max_wal_size", "'2GB'");
      settings.put("shared_buffers", "'256MB'");
      String endLsn;
      long startSegment;
      long endSegment;
      try (PgCluster source = PgCluster.init(ws, "source", pg, settings).start()) {
        BenchSupport.pgbench(source, "-i", "-s", "10", "-q");
        try (ObjectStore store = new DirStore(archive); Connection c = source.connect()) {
          new BackupPush(store, Codecs.writer(), 64L << 20, 2).push(c, source.dataDir());
        }
        startSegment = segmentOf(source.queryValue("SELECT pg_current_wal_lsn()"));
        System.out.println("generating " + segments + " segments of WAL with pgbench ...");
        while (segmentOf(source.queryValue("SELECT pg_current_wal_lsn()")) - startSegment < segments) {
          BenchSupport.pgbench(source, "-n", "-N", "-c", "4", "-j", "2", "-T", "5");
        }
        endLsn = source.queryValue("SELECT pg_current_wal_lsn()");
        endSegment = segmentOf(endLsn);
        String last = source.queryValue("SELECT pg_walfile_name('" + endLsn + "')");
        source.queryValue("SELECT pg_switch_wal()");
        BenchSupport.await(last + " archived", Duration.ofMinutes(10),
            () -> String.valueOf(BenchSupport.query(source, "SELECT last_archived_wal FROM pg_stat_archiver")).compareTo(last) >= 0);
        source.stop();
      }

      Path plain = ws.dir("plain-wal");
      long compressed = 0;
      long uncompressed = 0;
      try (ObjectStore store = new DirStore(archive)) {
        for (ObjectStore.StoredObject o : store.list(ArchiveLayout.WAL)) {
          String name = o.key().substring(ArchiveLayout.WAL.length()).replaceFirst("\\.lzo$", "");
          try (InputStream in = Codecs.forKey(o.key()).orElseThrow().decompress(store.get(o.key()))) {
            Files.copy(in, plain.resolve(name));
          }
          compressed += o.size();
          uncompressed += Files.size(plain.resolve(name));
        }
      }
      Command.of("chmod", "-R", "a+rX", plain.toString()).runChecked();
      Path template = ws.root().resolve("template");
      try (ObjectStore store = new DirStore(archive)) {
        new BackupFetch(store, 4, Progress.NONE, Workspace.PG_USER).fetch(template, BackupCatalog.LATEST, Map.of());
      }
      System.out.printf("archive: %d WAL files, %.0f MiB uncompressed, %.0f MiB as .lzo; replaying %d segments to %s%n",
          store(archive), uncompressed / 1048576.0, compressed / 1048576.0, endSegment - startSegment + 1, endLsn);

      // alternating rounds, best of each: a shared machine's noise hits both the same way
      double cp = Double.MAX_VALUE;
      double walFetch = Double.MAX_VALUE;
      for (int round = 1; round <= rounds; round++) {
        cp = Math.min(cp, replay(ws, pg, template, "cp-" + round, "cp " + plain + "/%f %p", endLsn, null, 0));
        Path state = ws.dir("agent-state-" + round);
        String fetch = AgentLauncher.restoreCommand(BenchSupport.agentLauncher(), url, state);
        walFetch = Math.min(walFetch, replay(ws, pg, template, "wal-fetch-" + round, fetch, endLsn, state, prefetch));
      }
      System.out.printf("WalReplayBench: %d segments (%.0f MiB), best of %d; cp %.1f s; pgferry wal-fetch (prefetch %d) %.1f s; ratio %.2f%n",
          endSegment - startSegment + 1, (endSegment - startSegment + 1) * SEGMENT / 1048576.0, rounds, cp, prefetch, walFetch, walFetch / cp);
    }
  }

  private static double replay(Workspace ws, PgBinaries pg, Path template, String label, String restoreCommand, String endLsn,
                               Path stateDir, int prefetch) throws Exception {
    Path dataDir = ws.root().resolve("replica-" + label);
    Command.of("cp", "-a", template.toString(), dataDir.toString()).runChecked();
    int port = FreePorts.next();
    Map<String, String> overrides = new LinkedHashMap<>(PgCluster.testDefaults());
    overrides.put("unix_socket_directories", "'" + ws.dir("sock") + "'");
    overrides.put("shared_buffers", "'256MB'");
    try (ObjectStore unused = new DirStore(ws.dir("archive"))) {
      ArchiveReplicaBuilder.prepare(unused, new ArchiveReplicaBuilder.Options(dataDir, pg.major(), port, "127.0.0.1", overrides,
          restoreCommand, Workspace.PG_USER, 4), Progress.NONE);
    }
    Files.writeString(dataDir.resolve("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
    Vertx vertx = null;
    WalPrefetcher prefetcher = null;
    try {
      if (stateDir != null) {
        vertx = Vertx.vertx();
        prefetcher = new WalPrefetcher(new DirStore(ws.dir("archive")), stateDir.resolve("prefetch"), prefetch, Workspace.PG_USER, dataDir);
        WalPrefetcher served = prefetcher;
        // the token owned by PostgreSQL's OS user, as the agent issues it: restore_command (run as that user) must read it
        WalFetchEndpoint.start(vertx, 0, () -> served, stateDir, Workspace.PG_USER).toCompletionStage().toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
      }
      try (PgCluster replica = PgCluster.adopt("replica-" + label, pg, dataDir, port)) {
        long t0 = System.nanoTime();
        replica.start();
        BenchSupport.await(label + " replica to replay " + endLsn, Duration.ofMinutes(30),
            () -> "t".equals(BenchSupport.query(replica, "SELECT pg_last_wal_replay_lsn() >= '" + endLsn + "'::pg_lsn")));
        double s = BenchSupport.seconds(System.nanoTime() - t0);
        if (prefetcher != null && prefetcher.lastRestored().isEmpty()) {
          throw new IllegalStateException(label + ": the agent's endpoint handed over no segment: restore_command fell back to"
              + " a JVM per segment (is " + stateDir.resolve("wal-fetch.token") + " readable by " + Workspace.PG_USER + "?)");
        }
        System.out.printf("  %-11s replayed to %s in %.1f s (restore_command = %s)%n", label, endLsn, s, restoreCommand);
        return s;
      }
    } finally {
      if (prefetcher != null) {
        prefetcher.close();
      }
      if (vertx != null) {
        vertx.close();
      }
    }
  }

  private static int store(Path archive) throws Exception {
    try (var s = Files.list(archive.resolve(ArchiveLayout.WAL))) {
      return (int) s.count();
    }
  }

  private static long segmentOf(String lsn) {
    String[] p = lsn.split("/");
    return ((Long.parseLong(p[0], 16) << 32) | Long.parseLong(p[1], 16)) / SEGMENT;
  }
}
