package io.pgferry.controller.bench;

import io.pgferry.common.Command;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.controller.sql.logical.Publication;
import io.pgferry.controller.sql.logical.SchemaCopy;
import io.pgferry.controller.sql.logical.Subscription;
import io.pgferry.controller.sql.logical.SyncProgress;
import io.pgferry.controller.sql.logical.SyncSnapshot;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Initial sync of a ~1 GiB dataset (pgbench, scale 70 by default) from A to T, side by side in one run: pgferry's
 * LOGICAL_SETUP actions (schema copy, publication, subscription with copy_data) until every table is ready, vs
 * `pg_dump --data-only | psql` into a second database with the same schema. Real PostgreSQL 15; not a test.
 * Run with scripts/bench-logical [SCALE].
 */
public final class InitialSyncBench {
  private static final Path BIN = SchemaCopy.DEFAULT_CLIENT_BIN;

  private InitialSyncBench() {}

  public static void main(String[] args) throws Exception {
    int scale = args.length > 0 ? Integer.parseInt(args[0]) : 70;
    try (Workspace ws = Workspace.create("bench-initial-sync");
         PgCluster a = PgCluster.start(ws, "a", 15);
         PgCluster t = PgCluster.init(ws, "t", PgBinaries.forMajor(15),
             Map.of("max_logical_replication_workers", "8", "max_sync_workers_per_subscription", "4")).start()) {
      a.execute("CREATE DATABASE appdb");
      t.execute("CREATE DATABASE appdb", "CREATE DATABASE dumped");
      System.out.println("pgbench -i -s " + scale + " ...");
      psqlTool(a, "pgbench", "-i", "-s", String.valueOf(scale), "-q", "appdb");
      long bytes = Long.parseLong(a.queryValue("select pg_database_size('appdb')"));
      PgEndpoint src = new PgEndpoint("127.0.0.1", a.port(), "appdb", "postgres", null);
      PgEndpoint dst = new PgEndpoint("127.0.0.1", t.port(), "appdb", "postgres", null);
      PgEndpoint dumped = new PgEndpoint("127.0.0.1", t.port(), "dumped", "postgres", null);
      new SchemaCopy(src, dst, BIN).run();
      new SchemaCopy(src, dumped, BIN).run();
      new Publication(src, LogicalNames.DEFAULT.publication(), List.of()).run();

      long t0 = System.nanoTime();
      new Subscription(dst, src, LogicalNames.DEFAULT.subscription(), LogicalNames.DEFAULT.slot(),
          LogicalNames.DEFAULT.publication(), true, false).run();
      SyncProgress progress = new SyncProgress(src, dst, LogicalNames.DEFAULT, Clock.systemUTC());
      long deadline = t0 + Duration.ofMinutes(30).toNanos();
      long lastPrint = 0;
      while (true) {
        SyncSnapshot s = progress.snapshot();
        if (s.allReady()) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("initial sync not done after 30 min: " + s.sentence());
        }
        if (System.nanoTime() - lastPrint > 10_000_000_000L) {
          System.out.println("  " + s.sentence());
          lastPrint = System.nanoTime();
        }
        Thread.sleep(200);
      }
      double subscription = (System.nanoTime() - t0) / 1e9;

      long t1 = System.nanoTime();
      Command.of("sh", "-c", BIN.resolve("pg_dump") + " -h 127.0.0.1 -p " + a.port() + " -U postgres --data-only appdb | "
          + BIN.resolve("psql") + " -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + t.port() + " -U postgres dumped")
          .timeout(Duration.ofMinutes(30)).runChecked();
      double dump = (System.nanoTime() - t1) / 1e9;
      String rowsA = queryIn(a, "appdb");
      if (!rowsA.equals(queryIn(t, "appdb")) || !rowsA.equals(queryIn(t, "dumped"))) {
        throw new IllegalStateException("row counts differ after the copies: A " + rowsA);
      }
      long mb = bytes / 1_000_000;
      System.out.printf("InitialSyncBench: %d MB database (pgbench scale %d); subscription copy %.1f s = %.0f MB/s;"
          + " pg_dump | psql %.1f s = %.0f MB/s; ratio %.2f%n", mb, scale, subscription, mb / subscription, dump, mb / dump,
          subscription / dump);
    }
  }

  private static String queryIn(PgCluster c, String db) {
    return Command.of(BIN.resolve("psql").toString(), "-At", "-h", "127.0.0.1", "-p", String.valueOf(c.port()), "-U", "postgres",
        "-c", "select count(*) from pgbench_accounts", db).runChecked().stdout().strip();
  }

  private static void psqlTool(PgCluster c, String tool, String... args) {
    List<String> argv = new ArrayList<>(List.of(BIN.resolve(tool).toString(), "-h", "127.0.0.1", "-p",
        String.valueOf(c.port()), "-U", "postgres"));
    argv.addAll(List.of(args));
    Command.of(argv).timeout(Duration.ofMinutes(30)).runChecked();
  }
}
