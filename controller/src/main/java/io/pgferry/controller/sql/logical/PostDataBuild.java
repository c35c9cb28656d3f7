package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The second part of A's schema, built on T once the tables hold their rows: everything of {@code pg_dump
 * --section=post-data} that {@link SchemaCopy} left out. Indexes and constraints first, {@code jobs} at a time on as
 * many sessions of T with {@code maintenance_work_mem} raised; then foreign keys, {@code jobs} at a time (they need the
 * unique indexes they reference); then the rest (triggers, rules, policies, index attachments, comments, statistics)
 * one by one in pg_dump's order. Idempotent: indexes, constraints, triggers, policies, rules, statistics and index
 * attachments T has already are skipped (a crash mid-build re-runs only what is missing), an entry failing with
 * "already exists" counts as present, and the rest (comments) is simply applied again.
 */
public final class PostDataBuild implements SqlAction<PostDataBuild.Result> {
  public record Result(int entries, int built, int present, int jobs, double seconds) {
    public String sentence() {
      return String.format(Locale.ROOT, "post-data of A on T: %d entries, %d built, %d were there already, %d jobs, %.1f s", entries, built,
          present, jobs, seconds);
    }

    public Map<String, String> evidence() {
      return Map.of("entries", String.valueOf(entries), "built", String.valueOf(built), "present", String.valueOf(present),
          "jobs", String.valueOf(jobs), "seconds", String.format(Locale.ROOT, "%.1f", seconds));
    }

    @Override
    public String toString() {
      return sentence();
    }
  }

  /** Deadlocks between foreign keys added side by side (each locks both of its tables) are retried this often. */
  private static final int DEADLOCK_RETRIES = 5;
  private static final Set<String> DUPLICATE = Set.of("42P07", "42710", "42P16");

  private static final String PRESENT = """
      SELECT 'INDEX|' || n.nspname || '|' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('i', 'I')
      UNION ALL
      SELECT 'CONSTRAINT|' || n.nspname || '|' || r.relname || ' ' || co.conname
        FROM pg_constraint co JOIN pg_class r ON r.oid = co.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
       WHERE co.convalidated
      UNION ALL
      SELECT 'TRIGGER|' || n.nspname || '|' || r.relname || ' ' || tg.tgname
        FROM pg_trigger tg JOIN pg_class r ON r.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace
       WHERE NOT tg.tgisinternal
      UNION ALL
      SELECT 'INDEX ATTACH|' || n.nspname || '|' || c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('i', 'I')
      UNION ALL
      SELECT 'ROW SECURITY|' || n.nspname || '|' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relrowsecurity
      UNION ALL
      SELECT 'POLICY|' || n.nspname || '|' || c.relname || ' ' || p.polname
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      UNION ALL
      SELECT 'RULE|' || n.nspname || '|' || c.relname || ' ' || r.rulename
        FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE r.rulename <> '_RETURN'
      UNION ALL
      SELECT 'STATISTICS|' || n.nspname || '|' || s.stxname FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
      """;

  private final PgEndpoint source;
  private final PgEndpoint target;
  private final Path clientBinDir;
  private final int jobs;
  private final boolean jobsFromCores;
  private final String maintenanceWorkMem;
  private final Consumer<String> progress;
  private final CatchUp caughtUp;

  /**
   * @param jobs sessions on T building at once (0: the cores of this host)
   * @param maintenanceWorkMem per session, e.g. "1GB" (empty: T's setting)
   */
  public PostDataBuild(PgEndpoint source, PgEndpoint target, Path clientBinDir, int jobs, String maintenanceWorkMem, Consumer<String> progress) {
    this(source, target, clientBinDir, jobs, maintenanceWorkMem, progress, () -> {});
  }

  private PostDataBuild(PgEndpoint source, PgEndpoint target, Path clientBinDir, int jobs, String maintenanceWorkMem,
                        Consumer<String> progress, CatchUp caughtUp) {
    this.caughtUp = caughtUp;
    this.source = source;
    this.target = target;
    this.clientBinDir = clientBinDir == null ? SchemaCopy.DEFAULT_CLIENT_BIN : clientBinDir;
    this.jobs = jobs > 0 ? jobs : Runtime.getRuntime().availableProcessors();
    this.jobsFromCores = jobs <= 0;
    this.maintenanceWorkMem = maintenanceWorkMem == null ? "" : maintenanceWorkMem;
    this.progress = progress == null ? x -> {} : progress;
  }

  @Override
  public List<String> describe() {
    return List.of("run: " + String.join(" ", SchemaCopy.dumpArgv(clientBinDir, source, Path.of("<tmp>/post-data.sql"), "post-data"))
            + "  -- every entry T lacks (the indexes, constraints, triggers, policies, ... T has are skipped)",
        "on " + target + ", " + (jobsFromCores ? "<cores of the controller host>" : String.valueOf(jobs)) + " sessions" + (maintenanceWorkMem.isEmpty() ? "" : " with SET maintenance_work_mem = '"
            + maintenanceWorkMem + "'") + ": CREATE INDEX / ADD CONSTRAINT ... side by side; then ADD CONSTRAINT ... FOREIGN KEY side by side; "
            + "then triggers, rules, policies, index attachments, comments one by one");
  }

  /** A's post-data as T takes it (pgferry's own objects left out) and the keys ({@link #key}) of what T has already. */
  public record Pending(DumpScript script, Set<String> present) {
    /** The entries T lacks, in pg_dump's order. */
    public List<DumpScript.Entry> todo() {
      return script.entries().stream().filter(e -> !present.contains(key(e))).toList();
    }
  }

  /**
   * Dumps A's post-data and reads what T has; null when this host's pg_dump is older than A (then SchemaCopy ran only
   * because T held A's whole schema already: nothing to build).
   */
  public static Pending pending(PgEndpoint source, PgEndpoint target, Path clientBinDir) throws Exception {
    return pending(source, target, clientBinDir, () -> {});
  }

  /** Work between the dump of A's post-data and the reading of what T has. */
  @FunctionalInterface
  public interface CatchUp {
    void await() throws Exception;
  }

  private static Pending pending(PgEndpoint source, PgEndpoint target, Path clientBinDir, CatchUp caughtUp) throws Exception {
    RoleMap roles;
    int targetMajor;
    try (Connection a = source.connect(Purpose.SCHEMA); Connection t = target.connect(Purpose.SCHEMA)) {
      if (Sql.serverMajor(a) > SchemaCopy.clientMajor(clientBinDir)) {
        return null;
      }
      roles = RoleMap.read(a, Sql.value(t, "SELECT current_user"));
      targetMajor = Sql.serverMajor(t);
    }
    DumpScript script = dump(source, clientBinDir, roles, targetMajor).withoutPgferryObjects();
    caughtUp.await();
    try (Connection t = target.connect(Purpose.SCHEMA)) {
      return new Pending(script, present(t));
    }
  }

  /** The keys ({@link #key}) of the post-data objects T has. */
  public static Set<String> present(Connection t) throws SQLException {
    return new HashSet<>(Sql.rows(t, PRESENT).stream().map(r -> r.values().iterator().next()).toList());
  }

  /**
   * The same build, with {@code caughtUp} run after A's post-data is dumped and before T is read: an object the dump
   * holds because carried DDL made it (docs/ddl.md) is T's to make by that statement, not the build's; once T ran every
   * statement recorded before the dump, T has such objects and the build skips them.
   */
  public PostDataBuild afterDump(CatchUp caughtUp) {
    return new PostDataBuild(source, target, clientBinDir, jobsFromCores ? 0 : jobs, maintenanceWorkMem, progress, caughtUp);
  }

  @Override
  public Result run() throws Exception {
    long started = System.nanoTime();
    Pending pending = pending(source, target, clientBinDir, caughtUp);
    if (pending == null) {
      progress.accept("post-data: this host's pg_dump cannot dump A's newer PostgreSQL; the schema on T was put in place by hand");
      return new Result(0, 0, 0, 0, (System.nanoTime() - started) / 1e9);
    }
    DumpScript script = pending.script();
    List<DumpScript.Entry> todo = pending.todo();
    int already = script.entries().size() - todo.size();
    AtomicInteger skipped = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    Runner runner = new Runner(script.preamble(), todo.size(), done, skipped);
    runner.wave(todo.stream().filter(DumpScript.Entry::indexBuild).toList(), jobs);
    runner.wave(todo.stream().filter(DumpScript.Entry::foreignKey).toList(), jobs);
    runner.wave(todo.stream().filter(e -> !e.indexBuild() && !e.foreignKey()).toList(), 1);
    return new Result(script.entries().size(), todo.size() - skipped.get(), already + skipped.get(), jobs,
        (System.nanoTime() - started) / 1e9);
  }

  private static DumpScript dump(PgEndpoint source, Path clientBinDir, RoleMap roles, int targetMajor) throws Exception {
    Path dir = Files.createTempDirectory("pgferry-postdata-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path file = dir.resolve("post-data.sql");
    try {
      return DumpScript.parse(SchemaCopy.dump(clientBinDir, source, file, "post-data", roles, targetMajor));
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  /** A session on T for building entries: the dump's preamble run, maintenance_work_mem raised (empty: T's setting). */
  public static Connection session(PgEndpoint target, String preamble, String maintenanceWorkMem) throws SQLException {
    Connection c = target.connect(Purpose.COPY);
    try (Statement s = c.createStatement()) {
      s.execute(preamble);
      if (maintenanceWorkMem != null && !maintenanceWorkMem.isEmpty()) {
        s.execute("SET maintenance_work_mem = " + Sql.literal(maintenanceWorkMem));
      }
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /**
   * Runs one entry on T; false when T had it already ("already exists"). A deadlock is retried a few times. A foreign
   * key valid on A is added NOT VALID and then validated ({@link #validatedLater}); T's constraint left not valid by a
   * crash between the two is validated on the next run (T's not-valid constraints do not count as present).
   */
  public static boolean apply(Connection t, DumpScript.Entry e) throws SQLException {
    String[] later = validatedLater(e);
    if (later == null) {
      return run(t, e, e.sql());
    }
    try {
      run(t, e, later[0]); // false: T has it not valid (a crash before its VALIDATE): validated now
    } catch (SQLException ex) {
      if ("40P01".equals(ex.getSQLState())) {
        throw ex;
      }
      return run(t, e, e.sql()); // NOT VALID refused (a partitioned table before PostgreSQL 18): added valid at once
    }
    run(t, e, later[1]);
    return true;
  }

  private static final Pattern FOREIGN_KEY = Pattern.compile(
      "(?s)^(ALTER TABLE (?:ONLY )?\\S+)\\s+ADD CONSTRAINT (\\S+) FOREIGN KEY (.*);\\s*$");

  /**
   * A foreign key as two statements, {@code ADD CONSTRAINT ... NOT VALID} and {@code VALIDATE CONSTRAINT}: the check of
   * every row then holds SHARE UPDATE EXCLUSIVE on the referencing table and ROW SHARE on the referenced one (not SHARE
   * ROW EXCLUSIVE on both), so foreign keys to the same table are validated side by side and apply is not blocked
   * meanwhile. Null for anything else (and for a foreign key NOT VALID on A, which stays so).
   */
  static String[] validatedLater(DumpScript.Entry e) {
    if (!e.foreignKey() || e.sql().contains("NOT VALID")) {
      return null;
    }
    Matcher m = FOREIGN_KEY.matcher(e.sql());
    if (!m.matches()) {
      return null;
    }
    return new String[] {m.group(1) + "\n    ADD CONSTRAINT " + m.group(2) + " FOREIGN KEY " + m.group(3) + " NOT VALID;",
        m.group(1) + " VALIDATE CONSTRAINT " + m.group(2) + ";"};
  }

  private static boolean run(Connection t, DumpScript.Entry e, String sql) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try (Statement s = t.createStatement()) {
        s.execute(e.settings().isEmpty() ? sql : e.settings() + "\n" + sql);
        return true;
      } catch (SQLException ex) {
        if (DUPLICATE.contains(ex.getSQLState())) {
          return false;
        }
        if (!"40P01".equals(ex.getSQLState()) || attempt >= DEADLOCK_RETRIES) {
          throw new SQLException(e.label() + ": " + ex.getMessage(), ex.getSQLState(), ex);
        }
      }
    }
  }

  /** The key {@link #PRESENT} gives the same object on T; empty for what is not looked up. */
  public static String key(DumpScript.Entry e) {
    return switch (e.type()) {
      case "INDEX", "TRIGGER", "INDEX ATTACH", "ROW SECURITY", "POLICY", "RULE", "STATISTICS" -> e.type() + "|" + e.schema() + "|" + e.name();
      case "CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT" -> "CONSTRAINT|" + e.schema() + "|" + e.name();
      default -> "";
    };
  }

  /** Runs waves of entries, each on up to n sessions of T that take the next entry until none is left. */
  private final class Runner {
    private final String preamble;
    private final int total;
    private final AtomicInteger done;
    private final AtomicInteger skipped;

    Runner(String preamble, int total, AtomicInteger done, AtomicInteger skipped) {
      this.preamble = preamble;
      this.total = total;
      this.done = done;
      this.skipped = skipped;
    }

    void wave(List<DumpScript.Entry> entries, int sessions) throws Exception {
      if (entries.isEmpty()) {
        return;
      }
      Queue<DumpScript.Entry> queue = new ConcurrentLinkedQueue<>(entries);
      AtomicReference<Exception> failure = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < Math.min(sessions, entries.size()); i++) {
        Thread th = new Thread(() -> {
          try (Connection t = session()) {
            DumpScript.Entry e;
            while (failure.get() == null && (e = queue.poll()) != null) {
              long t0 = System.nanoTime();
              boolean built = PostDataBuild.apply(t, e);
              if (!built) {
                skipped.incrementAndGet();
              }
              String line = String.format(Locale.ROOT, "post-data %d/%d: %s %s (%.1f s)", done.incrementAndGet(), total, e.label(),
                  built ? "built" : "was there", (System.nanoTime() - t0) / 1e9);
              synchronized (this) {
                progress.accept(line);
              }
            }
          } catch (Exception ex) {
            failure.compareAndSet(null, ex);
          }
        }, "pgferry-post-data-" + i);
        th.start();
        threads.add(th);
      }
      try {
        for (Thread th : threads) {
          th.join();
        }
      } catch (InterruptedException e) {
        // the journey stops: no session takes another entry; the ones running end with their statement
        failure.compareAndSet(null, e);
        throw e;
      }
      if (failure.get() != null) {
        throw failure.get();
      }
    }

    private Connection session() throws SQLException {
      return PostDataBuild.session(target, preamble, maintenanceWorkMem);
    }
  }
}
