package io.pgferry.controller.bench;

import io.pgferry.common.Command;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.copy.CopyWithIndexes;
import io.pgferry.controller.sql.copy.SnapshotCopy;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.controller.sql.logical.PostDataBuild;
import io.pgferry.controller.sql.logical.Publication;
import io.pgferry.controller.sql.logical.SchemaCopy;
import io.pgferry.controller.sql.logical.Subscription;
import io.pgferry.controller.sql.logical.SyncProgress;
import io.pgferry.controller.sql.logical.TargetAnalyze;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Issue 15's comparison, one run on one generated database (the skew, scaled to SIZE_MB: one big table with a
 * bigint key and three more indexes, one on random text; three mid-sized tables; 20 small ones), empty target to "all
 * rows and indexes in place": pgferry's LOGICAL_SETUP path (schema in two parts, snapshot copy with 2 streams and the big table in ranges,
 * each table's indexes built on 2 sessions beside the copy, subscription on its slot, post-data with 2 jobs) vs {@code pgcopydb clone --table-jobs 2 --index-jobs 2} (skipped when not installed) vs {@code pg_dump -Fd -j 2}
 * + {@code pg_restore -j 2}. Real PostgreSQL 15; not a test. Run with scripts/bench-copy [SIZE_MB].
 */
public final class CopyBench {
  private static final Path BIN = SchemaCopy.DEFAULT_CLIENT_BIN;

  private CopyBench() {}

  public static void main(String[] args) throws Exception {
    int sizeMb = args.length > 0 ? Integer.parseInt(args[0]) : 2200;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    boolean baselines = !"false".equals(System.getProperty("bench.baselines"));
    Map<String, String> settings = Map.of("max_logical_replication_workers", "8", "max_sync_workers_per_subscription", "2",
        "max_wal_size", "4GB", "maintenance_work_mem", "256MB");
    try (Workspace ws = Workspace.create("bench-copy");
         PgCluster a = PgCluster.init(ws, "a", PgBinaries.forMajor(15), settings).start();
         PgCluster t = PgCluster.init(ws, "t", PgBinaries.forMajor(15), settings).start()) {
      a.execute("CREATE DATABASE appdb");
      t.execute("CREATE DATABASE dumped", "CREATE DATABASE native");
      for (int r = 1; r <= rounds; r++) {
        t.execute("CREATE DATABASE pgferry" + r, "CREATE DATABASE pgcopydb" + r);
      }
      System.out.println("generating ~" + sizeMb + " MB ...");
      psql(a, "appdb", generate(sizeMb));
      psql(a, "appdb", "VACUUM ANALYZE");
      long bytes = Long.parseLong(a.queryValue("select pg_database_size('appdb')"));
      PgEndpoint src = endpoint(a, "appdb");
      new Publication(src, LogicalNames.DEFAULT.publication(), List.of()).run();
      long split = Long.parseLong(System.getProperty("split_larger_than", String.valueOf(Math.max(16L << 20, bytes / 16))));

      // pgferry and pgcopydb by turns, each into a database of its own, best of the rounds: the load of this shared machine
      // changes from minute to minute, so each round compares the two under about the same load
      List<PgferryRun> pgferryRuns = new ArrayList<>();
      List<Double> pgcopydbRuns = new ArrayList<>();
      Path pgcopydbBin = Path.of("/usr/bin/pgcopydb");
      for (int r = 1; r <= rounds; r++) {
        PgferryRun run = pgferry(src, a, endpoint(t, "pgferry" + r), split, r);
        pgferryRuns.add(run);
        System.out.printf("CopyBench round %d: pgferry %.1f s (copy with each table's indexes beside it %.1f s, post-data %.1f s), "
            + "first change after copy %.2f s%n", r, run.seconds(), run.copied(), run.seconds() - run.copied(), run.firstChange());
        if (Files.isExecutable(pgcopydbBin)) {
          Path work = ws.dir("pgcopydb-work-" + r);
          long t1 = System.nanoTime();
          shell("PGCOPYDB_SOURCE_PGURI='" + url(a, "appdb") + "' PGCOPYDB_TARGET_PGURI='" + url(t, "pgcopydb" + r) + "' " + pgcopydbBin
              + " clone --table-jobs 2 --index-jobs 2 --dir " + work + " --no-owner --no-acl >/dev/null 2>" + ws.root().resolve("pgcopydb-" + r + ".log"));
          pgcopydbRuns.add((System.nanoTime() - t1) / 1e9);
          System.out.printf("CopyBench round %d: pgcopydb %.1f s%n", r, pgcopydbRuns.get(r - 1));
        }
      }
      PgferryRun best = pgferryRuns.stream().min(Comparator.comparingDouble(PgferryRun::seconds)).orElseThrow();
      double pgcopydb = pgcopydbRuns.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);

      double nativePath = Double.NaN;
      double nativeCopied = Double.NaN;
      double dump = Double.NaN;
      if (baselines) {
        // the path before issue 15 (logical.copy_method: subscription): the subscription's table sync workers copy
        long t3 = System.nanoTime();
        long deadline = t3 + Duration.ofMinutes(60).toNanos();
        PgEndpoint nat = endpoint(t, "native");
        LogicalNames natNames = new LogicalNames(LogicalNames.DEFAULT.publication(), "bench_native_sub", "bench_native_sub",
            LogicalNames.DEFAULT.role());
        new SchemaCopy(src, nat, BIN).run();
        new Subscription(nat, src, natNames.subscription(), natNames.slot(), natNames.publication(), true, false).run();
        SyncProgress natProgress = new SyncProgress(src, nat, natNames, Clock.systemUTC());
        while (!natProgress.snapshot().allReady()) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("native copy not done: " + natProgress.snapshot().sentence());
          }
          Thread.sleep(200);
        }
        nativeCopied = (System.nanoTime() - t3) / 1e9;
        new PostDataBuild(src, nat, BIN, 2, "256MB", null).run();
        nativePath = (System.nanoTime() - t3) / 1e9;

        Path dir = ws.root().resolve("dump");
        long t2 = System.nanoTime();
        shell(BIN.resolve("pg_dump") + " -Fd -j 2 -f " + dir + " '" + url(a, "appdb") + "' && " + BIN.resolve("pg_restore")
            + " -j 2 -d '" + url(t, "dumped") + "' " + dir);
        dump = (System.nanoTime() - t2) / 1e9;
      }

      String onA = count(a, "appdb");
      List<String> dbs = new ArrayList<>();
      for (int r = 1; r <= rounds; r++) {
        dbs.add("pgferry" + r);
        if (!Double.isNaN(pgcopydb)) {
          dbs.add("pgcopydb" + r);
        }
      }
      if (baselines) {
        dbs.addAll(List.of("dumped", "native"));
      }
      for (String db : dbs) {
        if (!onA.equals(count(t, db))) {
          throw new IllegalStateException(db + " on T has other row counts or indexes than A: " + count(t, db) + " vs " + onA);
        }
      }
      long mb = bytes / 1_000_000;
      System.out.printf("CopyBench: %d MB database; pgferry %.1f s (copy with each table's indexes beside it %.1f s, post-data %.1f s; "
              + "first change after copy %.2f s, the slowest of the rounds); pgcopydb %s; pg_dump -j 2 | pg_restore -j 2 %s; ratio pgferry/pgcopydb %s; best of %d rounds "
              + "by turns, pgferry %s, pgcopydb %s; pgcopydb's time includes its VACUUM ANALYZE of every table, pgferry's an ANALYZE of every "
              + "table and its VACUUM (ANALYZE) before cutover 2 took %.1f s more%n", mb, best.seconds(), best.copied(), best.seconds() - best.copied(),
          pgferryRuns.stream().mapToDouble(PgferryRun::firstChange).max().orElseThrow(),
          Double.isNaN(pgcopydb) ? "not installed" : String.format("%.1f s", pgcopydb), Double.isNaN(dump) ? "skipped" : String.format("%.1f s", dump),
          Double.isNaN(pgcopydb) ? "-" : String.format("%.2f", best.seconds() / pgcopydb), rounds,
          pgferryRuns.stream().map(x -> String.format("%.1f", x.seconds())).toList(), pgcopydbRuns.stream().map(x -> String.format("%.1f", x)).toList(), best.vacuum());
      if (baselines) {
        System.out.printf("CopyBench (subscription copy): the subscription's own copy (copy_method subscription, 2 sync workers) %.1f s (copy %.1f s, indexes %.1f s)%n",
            nativePath, nativeCopied, nativePath - nativeCopied);
      }
    }
  }

  /** One run of pgferry's path; firstChange: a row inserted on A right after the subscription is created, seconds until T has it. */
  private record PgferryRun(double seconds, double copied, double firstChange, double vacuum) {}

  private static PgferryRun pgferry(PgEndpoint src, PgCluster a, PgEndpoint dst, long split, int round) throws Exception {
    long t0 = System.nanoTime();
    new SchemaCopy(src, dst, BIN, false).run();
    CopyWithIndexes.Result both = new CopyWithIndexes(new SnapshotCopy(src, dst, LogicalNames.DEFAULT.slot(), LogicalNames.DEFAULT.publication(),
        LogicalNames.DEFAULT.subscription(), new SnapshotCopy.Options(2, split), null, Clock.systemUTC()), src, dst, BIN, 2, "256MB")
        .onBuilt(line -> System.out.println("  " + line)).run();
    SnapshotCopy.Result copy = both.copy();
    FirstChange probe = new FirstChange(src, dst, 1_000_000 + round); // its sessions open before: the row is written right after
    new Subscription(dst, src, LogicalNames.DEFAULT.subscription(), LogicalNames.DEFAULT.slot(), LogicalNames.DEFAULT.publication(), true,
        false).onExistingSlot().run();
    long subscribed = System.nanoTime();
    // the journey's post_data runs while apply runs: the first change is timed beside it
    CompletableFuture<double[]> firstChange = CompletableFuture.supplyAsync(() -> probe.time(subscribed));
    SyncProgress progress = new SyncProgress(src, dst, LogicalNames.DEFAULT, Clock.systemUTC());
    long deadline = t0 + Duration.ofMinutes(60).toNanos();
    while (!progress.snapshot().allReady()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("copy not done after 60 min: " + progress.snapshot().sentence());
      }
      Thread.sleep(200);
    }
    double copied = (System.nanoTime() - t0) / 1e9;
    System.out.printf("CopyBench (snapshot copy): 2 streams, split_larger_than %d MB: %s; per stream %.1f MB/s; %s%n", split >> 20,
        copy.sentence(), copy.view().mbPerSecond() / 2, both.sentence().substring(copy.sentence().length() + 2));
    long p0 = System.nanoTime();
    System.out.println("CopyBench (post-data): " + new PostDataBuild(src, dst, BIN, 2, "256MB",
        line -> System.out.printf("  %.1f s %s%n", (System.nanoTime() - p0) / 1e9, line)).run().sentence());
    double seconds = (System.nanoTime() - t0) / 1e9;
    // pgcopydb's clone runs VACUUM ANALYZE of every table within its time; pgferry's VACUUM (ANALYZE) of T runs later in
    // the journey (logical_sync.analyze, before cutover 2): timed here apart, not in pgferry's figure
    TargetAnalyze.Result vacuum = new TargetAnalyze(dst).run();
    System.out.println("CopyBench (vacuum): pgferry's logical_sync.analyze, later in the journey and not in the time above: " + vacuum.sentence());
    double[] first = firstChange.get();
    System.out.printf("CopyBench (first change): a row written on A right after the subscription was created was on T %.2f s after "
        + "its commit, %.2f s after the subscription's creation%n", first[0], first[1]);
    // the next round's slot has the same name: this round's subscription goes, and with it its slot on A
    try (Connection c = dst.connect(Purpose.SCHEMA)) {
      Sql.execute(c, "DROP SUBSCRIPTION " + LogicalNames.DEFAULT.subscription());
    }
    return new PgferryRun(seconds, copied, first[0], vacuum.seconds());
  }

  /**
   * A row written on A right after the subscription is created (the copy step's end), timed until T has it: from its
   * commit and from the subscription's creation; fails past 10 s (issue 15: change capture live the moment the copy ends).
   */
  private static final class FirstChange {
    private final Connection a;
    private final Connection t;
    private final int id;

    FirstChange(PgEndpoint src, PgEndpoint dst, int id) throws SQLException {
      this.a = src.connect(Purpose.SCHEMA);
      this.t = dst.connect(Purpose.SCHEMA);
      this.id = id;
    }

    /** {seconds from the row's commit on A, seconds from the subscription's creation} until T has the row. */
    double[] time(long subscribed) {
      try (a; t) {
        Sql.execute(a, "INSERT INTO small1 VALUES (" + id + ", 'first change after the copy')");
        long committed = System.nanoTime();
        while (!Sql.exists(t, "SELECT 1 FROM small1 WHERE id = ?", id)) {
          if (System.nanoTime() - committed > 10_000_000_000L) {
            throw new IllegalStateException("a row written on A right after the copy was not on T within 10 s");
          }
          Thread.sleep(5);
        }
        long seen = System.nanoTime();
        return new double[] {(seen - committed) / 1e9, (seen - subscribed) / 1e9};
      } catch (Exception e) {
        throw new IllegalStateException("first change after the copy: " + e.getMessage(), e);
      }
    }
  }

  /** The skew scaled to sizeMb: 45% one table with 4 indexes, 3 x 6.5% mid tables, 20 small tables. */
  static String generate(int sizeMb) {
    long big = sizeMb * 3000L;
    long mid = sizeMb * 650L;
    StringBuilder sql = new StringBuilder("""
        CREATE TABLE big (id bigint PRIMARY KEY, account int, created timestamptz, token text, payload text);
        INSERT INTO big SELECT g, (random() * 100000)::int, now() - random() * interval '365 days', md5(random()::text),
          repeat('x', 40) FROM generate_series(1, %d) g;
        CREATE INDEX big_account ON big (account);
        CREATE INDEX big_created ON big (created);
        CREATE INDEX big_token ON big (token);
        """.formatted(big));
    for (int i = 1; i <= 3; i++) {
      sql.append("""
          CREATE TABLE mid%1$d (id int PRIMARY KEY, ref bigint REFERENCES big, note text);
          INSERT INTO mid%1$d SELECT g, 1 + g %% %2$d, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, %3$d) g;
          CREATE INDEX mid%1$d_ref ON mid%1$d (ref);
          """.formatted(i, big, mid));
    }
    for (int i = 1; i <= 20; i++) {
      sql.append("CREATE TABLE small%1$d (id int PRIMARY KEY, v text); INSERT INTO small%1$d SELECT g, 'v' || g FROM generate_series(1, 5000) g;\n"
          .formatted(i));
    }
    return sql.toString();
  }

  private static String count(PgCluster c, String db) {
    return psql(c, db, "SELECT (SELECT count(*) FROM big) || '/' || (SELECT count(*) FROM mid1) || '/' || (SELECT count(*) FROM pg_indexes "
        + "WHERE schemaname = 'public') || '/' || (SELECT count(*) FROM pg_constraint WHERE contype = 'f')").strip();
  }

  private static PgEndpoint endpoint(PgCluster c, String db) {
    return new PgEndpoint("127.0.0.1", c.port(), db, "postgres", null);
  }

  private static String url(PgCluster c, String db) {
    return "postgresql://postgres@127.0.0.1:" + c.port() + "/" + db;
  }

  private static String psql(PgCluster c, String db, String sql) {
    return Command.of(BIN.resolve("psql").toString(), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
        String.valueOf(c.port()), "-U", "postgres", "-c", sql, db).timeout(Duration.ofMinutes(60)).runChecked().stdout();
  }

  private static void shell(String script) {
    Command.of("sh", "-c", script).timeout(Duration.ofMinutes(60)).runChecked();
  }
}
