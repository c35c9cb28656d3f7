package io.pgferry.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The ledger workload (DESIGN.md §8): N writer threads insert rows (writer_id, seq, written_at) through the app's
 * path (a PgBouncer alias, or a JDBC URL re-read on every reconnect so a Heroku-style repoint is followed). A row
 * is acknowledged only once COMMIT has returned. A failed attempt is never retried with the same seq (its commit
 * may have happened): the writer backs off briefly, reconnects and goes on with the next seq, so a duplicate on
 * the final database can only come from the migration itself.
 *
 * <p>The table has a bigserial primary key (replicable) and a non-unique (writer_id, seq), so duplicates can exist
 * and be counted.
 */
public final class Ledger implements AutoCloseable {
  /** A commit that returned: {@code commitNanos} is System.nanoTime() right after COMMIT returned. */
  public record Ack(int writer, long seq, long commitNanos) {}

  /** A failed attempt as the writer saw it. */
  public record Failure(int writer, long seq, long atNanos, String sqlState, String message) {}

  /** Where and how to write. {@code jdbcUrl} is called on every (re)connect. */
  public record Options(Supplier<String> jdbcUrl, String user, String password, int writers, Duration pauseBetweenWrites,
      String table) {
    public static Options of(Supplier<String> jdbcUrl) {
      return new Options(jdbcUrl, "postgres", "", 4, Duration.ofMillis(2), "ledger");
    }

    public Options writers(int n) {
      return new Options(jdbcUrl, user, password, n, pauseBetweenWrites, table);
    }

    public Options as(String newUser, String newPassword) {
      return new Options(jdbcUrl, newUser, newPassword, writers, pauseBetweenWrites, table);
    }

    public Options pause(Duration d) {
      return new Options(jdbcUrl, user, password, writers, d, table);
    }

    public Options table(String name) {
      return new Options(jdbcUrl, user, password, writers, pauseBetweenWrites, name);
    }
  }

  private static final long MAX_BACKOFF_MS = 200;

  private final Options options;
  private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
  private final AtomicLong ackCount = new AtomicLong();
  private final AtomicLong generation = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  private Ledger(Options options) {
    this.options = options;
  }

  /** The ledger table's DDL (idempotent). */
  public static String ddl(String table) {
    return "CREATE TABLE IF NOT EXISTS " + table + " (id bigserial PRIMARY KEY, writer_id int NOT NULL, seq bigint NOT NULL,"
        + " written_at timestamptz NOT NULL DEFAULT clock_timestamp())";
  }

  public static void createTable(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(ddl(table));
      st.execute("CREATE INDEX IF NOT EXISTS " + table + "_writer_seq ON " + table + " (writer_id, seq)");
    }
    if (!c.getAutoCommit()) {
      c.commit();
    }
  }

  public static Ledger start(Options options) {
    Ledger ledger = new Ledger(options);
    for (int w = 1; w <= options.writers(); w++) {
      int writer = w;
      Thread t = new Thread(() -> ledger.write(writer), "ledger-writer-" + w);
      t.setDaemon(true);
      ledger.threads.add(t);
    }
    ledger.threads.forEach(Thread::start);
    return ledger;
  }

  private void write(int writer) {
    Connection conn = null;
    long seq = 0;
    int failuresInRow = 0;
    long myGeneration = generation.get();
    while (running) {
      seq++;
      try {
        if (myGeneration != generation.get()) {
          closeQuietly(conn);
          conn = null;
          myGeneration = generation.get();
        }
        if (conn == null) {
          conn = open(writer);
        }
        try (Statement st = conn.createStatement()) {
          st.executeUpdate("INSERT INTO " + options.table() + " (writer_id, seq) VALUES (" + writer + ", " + seq + ")");
        }
        conn.commit();
        acks.add(new Ack(writer, seq, System.nanoTime()));
        ackCount.incrementAndGet();
        failuresInRow = 0;
        pause(options.pauseBetweenWrites().toMillis());
      } catch (SQLException e) {
        failures.add(new Failure(writer, seq, System.nanoTime(), e.getSQLState(), e.getMessage()));
        closeQuietly(conn);
        conn = null;
        pause(Math.min(MAX_BACKOFF_MS, 10L << Math.min(failuresInRow++, 5)));
      }
    }
    closeQuietly(conn);
  }

  private Connection open(int writer) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", options.user());
    props.setProperty("password", options.password() == null ? "" : options.password());
    props.setProperty("ApplicationName", "ledger-writer-" + writer);
    props.setProperty("connectTimeout", "5");
    props.setProperty("socketTimeout", "60");
    Connection c = DriverManager.getConnection(options.jdbcUrl().get(), props);
    c.setAutoCommit(false);
    return c;
  }

  private void pause(long millis) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the connection is already broken
      }
    }
  }

  /**
   * Every writer drops its connection before its next write and reconnects to the URL the supplier gives then,
   * as a restarted app (a Heroku release after a config var change) would.
   */
  public void reconnectAll() {
    generation.incrementAndGet();
  }

  /** A System.nanoTime() stamp on the ledger's clock, for marking events (switch start/end). */
  public static long now() {
    return System.nanoTime();
  }

  public long acknowledged() {
    return ackCount.get();
  }

  public List<Failure> failures() {
    return List.copyOf(failures);
  }

  public List<Ack> acks() {
    return List.copyOf(acks);
  }

  /** Acks whose COMMIT returned after {@code nanos}. */
  public long acknowledgedAfter(long nanos) {
    return acks.stream().filter(a -> a.commitNanos() > nanos).count();
  }

  /**
   * The first commit after the outage that began at {@code outageNanos} (e.g. a kill): commits in flight then may
   * still return, so it is the first ack after a gap of more than 300 ms following that moment (0: none yet).
   */
  public long firstAckAfterOutage(long outageNanos) {
    long[] times = acks.stream().mapToLong(Ack::commitNanos).filter(x -> x > outageNanos - 1_000_000_000L).sorted().toArray();
    long prev = outageNanos;
    for (long x : times) {
      if (x > outageNanos && x - Math.max(prev, outageNanos) > 300_000_000L) {
        return x;
      }
      prev = x;
    }
    return 0;
  }

  /** Waits until {@code n} more rows than now are acknowledged; false on timeout. */
  public boolean awaitMore(long n, Duration timeout) {
    long target = acknowledged() + n;
    return await(() -> acknowledged() >= target, timeout);
  }

  /** Polls {@code condition} every 10 ms until it holds or the timeout passes. */
  public static boolean await(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Stops the writers and waits for them (an attempt in flight finishes or fails first). */
  public void stop() {
    running = false;
    for (Thread t : threads) {
      try {
        t.join(Duration.ofSeconds(90).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Stops the writers and checks the acknowledged rows against the final database(s): several databases are read
   * as one (e.g. the old and the new database when rows were not copied at the switch).
   */
  public LedgerReport verify(Connection... finalDbs) throws SQLException {
    stop();
    Map<Long, Integer> counts = new HashMap<>();
    for (Connection db : finalDbs) {
      try (Statement st = db.createStatement();
           ResultSet rs = st.executeQuery("SELECT writer_id, seq, count(*) FROM " + options.table() + " GROUP BY writer_id, seq")) {
        while (rs.next()) {
          counts.merge(key(rs.getInt(1), rs.getLong(2)), rs.getInt(3), Integer::sum);
        }
      }
    }
    return LedgerReport.of(acks(), failures(), counts);
  }

  static long key(int writer, long seq) {
    return ((long) writer << 40) | seq;
  }

  @Override
  public void close() {
    stop();
  }
}
