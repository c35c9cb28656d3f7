package io.pgferry.e2e.bench;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.controller.sql.logical.Publication;
import io.pgferry.controller.sql.logical.ReplicationRole;
import io.pgferry.controller.sql.logical.Subscription;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * T's apply under a sustained write load on A (issue 15, item 5): A and T on PostgreSQL 17, the subscription created by
 * pgferry's {@link Subscription} with its apply options (streaming = parallel, binary = true), a pgbench tpcb-like
 * load (UPDATE a random account, INSERT a history row, one transaction) from {@link #WRITERS} sessions. First as many
 * TPS as A takes here, then fixed rates below it; at each rate the publisher's lag behind T (bytes of WAL T has not
 * applied, from the slot's walsender) is sampled. A rate is "bounded" when the lag in the last third of its window is
 * no higher than {@link #BOUND_BYTES} or than 1.5 times the middle third's highest (it does not grow). Under 3 minutes.
 */
final class ApplyLag {
  private static final int MAJOR = 17;
  private static final int WRITERS = 4;
  private static final int ACCOUNTS = 100_000;
  private static final Duration WINDOW = Duration.ofSeconds(15);
  private static final long BOUND_BYTES = 16L << 20;
  private static final String SCHEMA = "CREATE TABLE accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84));"
      + " CREATE TABLE history (id bigserial PRIMARY KEY, aid int NOT NULL, delta int NOT NULL, mtime timestamptz NOT NULL DEFAULT now(),"
      + " filler char(22))";

  private ApplyLag() {}

  /** One rate's window: what A committed and how far T stayed behind. */
  record Window(double targetTps, double tps, long maxLagBytes, long endLagBytes, boolean bounded) {
    String text() {
      return String.format(Locale.ROOT, "%s %.0f tps: lag max %.1f MiB, end %.1f MiB%s", targetTps == 0 ? "max" : "at",
          tps, maxLagBytes / 1048576.0, endLagBytes / 1048576.0, bounded ? "" : " (growing)");
    }
  }

  static List<BenchRow> run() throws Exception {
    try (Workspace ws = Workspace.create("bench-apply-lag"); PgCluster a = PgCluster.start(ws, "a", MAJOR);
         PgCluster t = PgCluster.start(ws, "t", MAJOR)) {
      for (PgCluster c : List.of(a, t)) {
        c.execute("CREATE DATABASE app");
      }
      PgEndpoint src = new PgEndpoint(a.host(), a.port(), "app", "postgres", null);
      PgEndpoint dst = new PgEndpoint(t.host(), t.port(), "app", "postgres", null);
      exec(src, SCHEMA, "INSERT INTO accounts SELECT g, 1 + g / 10000, 0, '' FROM generate_series(1, " + ACCOUNTS + ") g");
      exec(dst, SCHEMA);
      LogicalNames names = LogicalNames.DEFAULT;
      String password = "bench-" + Long.toHexString(System.nanoTime());
      new ReplicationRole(src, names.role(), password).run();
      new Publication(src, names.publication(), List.of()).run();
      new Subscription(dst, src.withUser(names.role(), password), names.subscription(), names.slot(), names.publication(), true, false)
          .withApplyOptions(MAJOR).run();
      String options = value(dst, "SELECT 'streaming = ' || CASE substream::text WHEN 'p' THEN 'parallel' WHEN 't' THEN 'on' ELSE 'off' END || ', binary = ' || subbinary::text FROM pg_subscription");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!"0".equals(value(dst, "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'"))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("apply lag: the initial copy did not end within 60 s");
        }
        Thread.sleep(200);
      }
      List<Window> windows = new ArrayList<>();
      Window max = load(src, 0);
      windows.add(max);
      drain(src, dst);
      for (double share : new double[] {0.25, 0.5, 0.75, 0.9}) {
        windows.add(load(src, max.tps() * share));
        drain(src, dst);
      }
      Window best = windows.stream().filter(Window::bounded).max((x, y) -> Double.compare(x.tps(), y.tps())).orElse(null);
      String note = "PG " + MAJOR + " -> " + MAJOR + ", " + options + "; " + WRITERS + " sessions, pgbench tpcb-like (UPDATE + INSERT),"
          + " " + WINDOW.toSeconds() + " s per rate: " + String.join("; ", windows.stream().map(Window::text).toList());
      return List.of(new BenchRow("T's apply under sustained writes on A: highest rate with bounded lag",
          best == null ? "none bounded" : String.format(Locale.ROOT, "%.0f tps", best.tps()),
          String.format(Locale.ROOT, "%.0f tps (A's most, same load)", max.tps()),
          best == null ? "-" : String.format(Locale.ROOT, "%.2f", best.tps() / max.tps()), note));
    }
  }

  /** {@link #WINDOW} of the load at {@code tps} in total (0: as fast as A takes it), sampling T's lag. */
  private static Window load(PgEndpoint src, double tps) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong commits = new AtomicLong();
    List<Thread> writers = new ArrayList<>();
    for (int i = 0; i < WRITERS; i++) {
      Thread w = new Thread(() -> write(src, tps / WRITERS, stop, commits), "bench-writer-" + i);
      w.start();
      writers.add(w);
    }
    List<Long> lag = new ArrayList<>();
    long t0 = System.nanoTime();
    long c0 = commits.get();
    try (Connection c = src.connect(Purpose.ADMIN)) {
      while (System.nanoTime() - t0 < WINDOW.toNanos()) {
        Thread.sleep(250);
        String l = Sql.value(c, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(replay_lsn, '0/0'))::bigint::text"
            + " FROM pg_stat_replication WHERE application_name = ?", LogicalNames.DEFAULT.subscription());
        lag.add(l == null ? 0 : Long.parseLong(l));
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long done = commits.get() - c0;
    stop.set(true);
    for (Thread w : writers) {
      w.join();
    }
    int n = lag.size();
    long middle = lag.subList(n / 3, 2 * n / 3).stream().mapToLong(Long::longValue).max().orElse(0);
    long last = lag.subList(2 * n / 3, n).stream().mapToLong(Long::longValue).max().orElse(0);
    long all = lag.stream().mapToLong(Long::longValue).max().orElse(0);
    boolean bounded = last <= BOUND_BYTES || last <= middle * 3 / 2;
    Window w = new Window(tps, done / seconds, all, lag.get(n - 1), bounded);
    System.err.println("bench: apply lag " + w.text());
    return w;
  }

  private static void write(PgEndpoint src, double tps, AtomicBoolean stop, AtomicLong commits) {
    try (Connection c = src.connect(Purpose.ADMIN);
         PreparedStatement up = c.prepareStatement("UPDATE accounts SET abalance = abalance + ? WHERE aid = ?");
         PreparedStatement ins = c.prepareStatement("INSERT INTO history (aid, delta, filler) VALUES (?, ?, '')")) {
      c.setAutoCommit(false);
      long interval = tps > 0 ? (long) (1e9 / tps) : 0;
      long next = System.nanoTime();
      ThreadLocalRandom r = ThreadLocalRandom.current();
      while (!stop.get()) {
        int aid = 1 + r.nextInt(ACCOUNTS);
        int delta = r.nextInt(-5000, 5001);
        up.setInt(1, delta);
        up.setInt(2, aid);
        up.executeUpdate();
        ins.setInt(1, aid);
        ins.setInt(2, delta);
        ins.executeUpdate();
        c.commit();
        commits.incrementAndGet();
        if (interval > 0) {
          next += interval;
          long wait = next - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
        }
      }
    } catch (Exception e) {
      if (!stop.get()) {
        System.err.println("bench: apply lag writer: " + e);
      }
    }
  }

  /** Until T has the last history row A committed (or 60 s): each rate starts from no lag. */
  private static void drain(PgEndpoint src, PgEndpoint dst) throws Exception {
    String last = "SELECT coalesce(max(id), 0)::text FROM history";
    long end = Long.parseLong(value(src, last));
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline && Long.parseLong(value(dst, last)) < end) {
      Thread.sleep(100);
    }
  }

  private static void exec(PgEndpoint db, String... sql) throws Exception {
    try (Connection c = db.connect(Purpose.ADMIN)) {
      for (String s : sql) {
        Sql.execute(c, s);
      }
    }
  }

  private static String value(PgEndpoint db, String sql) throws Exception {
    try (Connection c = db.connect(Purpose.ADMIN)) {
      return Sql.value(c, sql);
    }
  }
}
