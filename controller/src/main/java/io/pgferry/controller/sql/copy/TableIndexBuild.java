package io.pgferry.controller.sql.copy;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.controller.sql.logical.DumpScript;
import io.pgferry.controller.sql.logical.PostDataBuild;
import io.pgferry.controller.sql.logical.SchemaCopy;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The indexes and constraints of each table, built on T as soon as that table's copy is done, on {@code jobs}
 * sessions beside the copy streams still running (as pgcopydb does): the copy goes largest table first, so the big
 * table's indexes are built while the small tables still copy. The primary keys and replica identity indexes are
 * among them (with the snapshot copy T's tables are bare during the copy: apply starts only after it). Once every
 * build of a table is done it is analyzed ({@code ANALYZE}: the check query of a foreign key is planned with
 * statistics, and the app finds them on T), and each foreign key between two tables that are both that far is
 * added ({@code NOT VALID}, then {@code VALIDATE}, as {@link PostDataBuild} does) instead of after the whole copy.
 * Waiting builds go costliest first (by the size of the index on A; a foreign key by its referencing table's), so the
 * longest builds do not start last. {@link #finish()} waits for every build and then builds the identity keys not
 * built yet (a partitioned table's, a table copied before a retry), so the subscription finds every table with its
 * key. Whatever else is left (foreign keys of tables copied before a retry or of partitioned tables, triggers,
 * indexes of partitioned tables, ...) is {@link PostDataBuild}'s, which skips what is here.
 *
 * <p>Idempotent like {@link PostDataBuild}: what T has is skipped, "already exists" counts as present, and CREATE
 * INDEX is transactional (a crash costs the index being built, nothing half-built stays); a foreign key left NOT
 * VALID by a crash is validated by the next run.
 */
public final class TableIndexBuild implements AutoCloseable {
  /** What the builds did. */
  public record Result(int built, int present, int foreignKeys, int analyzed, int jobs, double buildSeconds) {
    public String sentence() {
      return String.format(Locale.ROOT, "%d indexes and constraints built beside the copy (%d were there; %d of them foreign keys), "
              + "%d tables analyzed, %d jobs, %.1f s of building", built, present, foreignKeys, analyzed, jobs, buildSeconds);
    }
  }

  /**
   * The table (not partitioned) of each index and constraint on A, keyed as {@link PostDataBuild#key} keys entries, with
   * the expected cost of building it (bytes: the index's size on A; a constraint without an index, the table's) and, for
   * a foreign key, the referenced table (not partitioned either: a foreign key of a partitioned table is post-data's).
   */
  private static final String TABLE_OF = """
      SELECT 'INDEX|' || n.nspname || '|' || c.relname AS key, tn.nspname AS table_schema, t.relname AS table_name,
             pg_relation_size(i.indexrelid) AS cost, NULL::name AS ref_schema, NULL::name AS ref_name
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
       WHERE t.relkind <> 'p'
      UNION ALL
      SELECT 'CONSTRAINT|' || n.nspname || '|' || r.relname || ' ' || co.conname, n.nspname, r.relname,
             CASE WHEN co.contype <> 'f' AND co.conindid <> 0 THEN pg_relation_size(co.conindid) ELSE pg_relation_size(r.oid) END,
             fn.nspname, f.relname
        FROM pg_constraint co JOIN pg_class r ON r.oid = co.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        LEFT JOIN pg_class f ON f.oid = co.confrelid AND co.contype = 'f' LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace
       WHERE r.relkind <> 'p' AND (co.contype <> 'f' OR f.relkind <> 'p')
      """;

  /** A build and what it costs (bytes, for the order of the queue). */
  private record Build(DumpScript.Entry entry, long cost) {}

  /** A foreign key between two tables copied here. */
  private record ForeignKey(Build build, TableRef from, TableRef to) {}

  private record Plan(String preamble, Map<TableRef, List<Build>> byTable, List<DumpScript.Entry> identityKeys,
                      List<ForeignKey> foreignKeys, Map<TableRef, Long> tableCost) {}

  /** A queued piece of work on a build session: the costliest waiting one runs first, then the first queued. */
  private static final class Queued extends FutureTask<Void> implements Comparable<Queued> {
    private static final AtomicLong SEQ = new AtomicLong();
    private final long cost;
    private final long seq = SEQ.incrementAndGet();

    Queued(long cost, Callable<Void> work) {
      super(work);
      this.cost = cost;
    }

    @Override
    public int compareTo(Queued o) {
      return cost != o.cost ? Long.compare(o.cost, cost) : Long.compare(seq, o.seq);
    }
  }

  /** Work on a build session. */
  private interface OnSession {
    void run(Connection session) throws Exception;
  }

  private final PgEndpoint source;
  private final PgEndpoint target;
  private final Path clientBinDir;
  private final int jobs;
  private final String maintenanceWorkMem;
  private final CompletableFuture<Plan> plan;
  private final ThreadPoolExecutor pool;
  private final ConcurrentLinkedQueue<Connection> sessions = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<Connection> session = new ThreadLocal<>();
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final Set<TableRef> ready = ConcurrentHashMap.newKeySet();
  private final List<Future<?>> builds = Collections.synchronizedList(new ArrayList<>());
  /** What {@link #tableCopied} queues once the plan is read: done before {@link #finish()} queues the identity keys. */
  private final List<Future<?>> tablesQueued = Collections.synchronizedList(new ArrayList<>());
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private final AtomicInteger built = new AtomicInteger();
  private final AtomicInteger present = new AtomicInteger();
  private final AtomicInteger foreignKeys = new AtomicInteger();
  private final AtomicInteger analyzed = new AtomicInteger();
  private final AtomicLong buildNanos = new AtomicLong();
  private final long startedNanos = System.nanoTime();
  private volatile Consumer<String> log = line -> { };

  /**
   * Starts reading A's post-data (pg_dump, on a thread of its own: the copy does not wait for it).
   *
   * @param jobs sessions on T building at once (0: the cores of this host)
   * @param maintenanceWorkMem per session (empty: T's setting)
   */
  public TableIndexBuild(PgEndpoint source, PgEndpoint target, Path clientBinDir, int jobs, String maintenanceWorkMem) {
    this.source = source;
    this.target = target;
    this.clientBinDir = clientBinDir == null ? SchemaCopy.DEFAULT_CLIENT_BIN : clientBinDir;
    this.jobs = jobs > 0 ? jobs : Runtime.getRuntime().availableProcessors();
    this.maintenanceWorkMem = maintenanceWorkMem == null ? "" : maintenanceWorkMem;
    this.pool = new ThreadPoolExecutor(this.jobs, this.jobs, 0L, TimeUnit.MILLISECONDS, new PriorityBlockingQueue<>(), r -> {
      Thread th = new Thread(r, "pgferry-table-index");
      th.setDaemon(true);
      return th;
    });
    this.pool.prestartAllCoreThreads(); // every build goes through the queue, so the costliest waiting one is taken first
    this.plan = CompletableFuture.supplyAsync(this::readPlan, r -> {
      Thread th = new Thread(r, "pgferry-table-index-plan");
      th.setDaemon(true);
      th.start();
    });
  }

  /** {@code log} is told of each build as it ends (on a build session's thread: it must not wait). */
  public TableIndexBuild onBuilt(Consumer<String> log) {
    this.log = log == null ? line -> { } : log;
    return this;
  }

  /** What {@link TableIndexBuild} runs, for a step's description. */
  public static String describe(PgEndpoint target, int jobs, String maintenanceWorkMem) {
    return "on " + target + ", " + (jobs > 0 ? String.valueOf(jobs) : "<cores of the controller host>") + " sessions beside the copy"
        + (maintenanceWorkMem == null || maintenanceWorkMem.isEmpty() ? "" : " (SET maintenance_work_mem = '" + maintenanceWorkMem + "')")
        + ": as soon as a table's rows are all copied, its primary key, replica identity index, other indexes and non-FK constraints "
        + "from pg_dump --section=post-data of A (what T has is skipped; the costliest waiting build first), then ANALYZE <table>, then "
        + "each foreign key whose two tables are both analyzed (ADD CONSTRAINT ... NOT VALID, VALIDATE CONSTRAINT); at the end the "
        + "identity keys still missing";
  }

  private Plan readPlan() {
    try {
      PostDataBuild.Pending pending = PostDataBuild.pending(source, target, clientBinDir);
      if (pending == null) {
        return new Plan("", Map.of(), List.of(), List.of(), Map.of());
      }
      Map<String, Map<String, String>> of = new HashMap<>();
      try (Connection a = source.connect(Purpose.SCHEMA)) {
        for (Map<String, String> r : Sql.rows(a, TABLE_OF)) {
          of.put(r.get("key"), r);
        }
      }
      Map<TableRef, List<Build>> byTable = new HashMap<>();
      Map<TableRef, Long> tableCost = new HashMap<>();
      List<DumpScript.Entry> identityKeys = new ArrayList<>();
      List<ForeignKey> fks = new ArrayList<>();
      for (DumpScript.Entry e : pending.todo()) {
        Map<String, String> r = of.get(PostDataBuild.key(e));
        TableRef table = r == null ? null : new TableRef(r.get("table_schema"), r.get("table_name"));
        Build b = new Build(e, r == null ? 0 : Long.parseLong(r.get("cost")));
        if (e.foreignKey() && table != null && r.get("ref_name") != null) {
          fks.add(new ForeignKey(b, table, new TableRef(r.get("ref_schema"), r.get("ref_name"))));
        }
        if (!e.indexBuild()) {
          continue;
        }
        if (e.identityKey()) {
          identityKeys.add(e);
        }
        if (table != null) {
          byTable.computeIfAbsent(table, x -> new ArrayList<>()).add(b);
          tableCost.merge(table, b.cost(), Long::sum);
        }
      }
      // a table's builds are queued together: the costliest first, as idle sessions take them in that order
      byTable.values().forEach(l -> l.sort(Comparator.comparingLong(Build::cost).reversed()));
      return new Plan(pending.script().preamble(), byTable, identityKeys, fks, tableCost);
    } catch (Exception e) {
      throw new IllegalStateException("reading A's post-data for the builds beside the copy: " + e.getMessage(), e);
    }
  }

  private double elapsed() {
    return (System.nanoTime() - startedNanos) / 1e9;
  }

  /** Every item of {@code table} is copied: its builds are queued (called from a copy worker; does not wait). */
  public void tableCopied(TableRef table) {
    log.accept(String.format(Locale.ROOT, "%.1f s: %s copied", elapsed(), table));
    // finish() waits for this before the builds it queues (they come after it in the list)
    CompletableFuture<Void> queuing = plan.thenAccept(p -> {
      List<Build> todo = p.byTable().getOrDefault(table, List.of());
      AtomicInteger left = new AtomicInteger(todo.size());
      Runnable afterEach = () -> {
        if (left.decrementAndGet() == 0) {
          analyze(p, table);
        }
      };
      if (todo.isEmpty()) {
        analyze(p, table);
      }
      todo.forEach(b -> queue(b, afterEach));
    });
    tablesQueued.add(queuing);
    builds.add(queuing);
  }

  /** A table's builds are done: ANALYZE it, then add the foreign keys whose two tables are both this far. */
  private void analyze(Plan p, TableRef table) {
    submit(p.tableCost().getOrDefault(table, 0L), c -> {
      long t0 = System.nanoTime();
      Sql.execute(c, "ANALYZE " + table.sql());
      analyzed.incrementAndGet();
      log.accept(String.format(Locale.ROOT, "%.1f s: ANALYZE %s (%.1f s)", elapsed(), table, (System.nanoTime() - t0) / 1e9));
      ready.add(table);
      for (ForeignKey fk : p.foreignKeys()) {
        if ((fk.from().equals(table) || fk.to().equals(table)) && ready.contains(fk.from()) && ready.contains(fk.to())) {
          queue(fk.build(), null);
        }
      }
    });
  }

  /** Queues a build once; {@code after} (may be null) runs on its session when it is done, before its future completes. */
  private void queue(Build b, Runnable after) {
    DumpScript.Entry e = b.entry();
    if (!queued.add(PostDataBuild.key(e) + "|" + e.sql())) {
      return;
    }
    submit(b.cost(), c -> {
      long t0 = System.nanoTime();
      boolean made = PostDataBuild.apply(c, e);
      (made ? built : present).incrementAndGet();
      if (made && e.foreignKey()) {
        foreignKeys.incrementAndGet();
      }
      long took = System.nanoTime() - t0;
      buildNanos.addAndGet(took);
      log.accept(String.format(Locale.ROOT, "%.1f s: %s %s (%.1f s)", elapsed(), e.label(), made ? "built" : "was there", took / 1e9));
      if (after != null) {
        after.run();
      }
    });
  }

  private void submit(long cost, OnSession work) {
    Queued q = new Queued(cost, () -> {
      if (failure.get() != null) {
        return null;
      }
      try {
        work.run(session());
      } catch (Exception ex) {
        failure.compareAndSet(null, ex);
        throw ex;
      }
      return null;
    });
    builds.add(q);
    pool.execute(q);
  }

  private Connection session() throws Exception {
    Connection c = session.get();
    if (c == null) {
      c = PostDataBuild.session(target, plan.get().preamble(), maintenanceWorkMem);
      session.set(c);
      sessions.add(c);
    }
    return c;
  }

  /**
   * Waits for every queued build, then builds the identity keys not queued yet and waits for them: when this returns
   * every published table on T has its primary key or replica identity index. The first failure is thrown.
   */
  public Result finish() throws Exception {
    try {
      // each copied table's builds first (the plan's dependents may still be queuing them): an identity key queued here
      // first would take the place of the table's own, and the table would never count as built (no ANALYZE, no foreign key)
      for (Future<?> f : List.copyOf(tablesQueued)) {
        f.get();
      }
      plan.get().identityKeys().forEach(e -> queue(new Build(e, 0), null));
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
    for (int i = 0; i < builds.size(); i++) { // the list grows while a table's builds are queued: each after its queuing
      try {
        builds.get(i).get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof Exception x ? x : new IllegalStateException(cause);
      }
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    return new Result(built.get(), present.get(), foreignKeys.get(), analyzed.get(), jobs, buildNanos.get() / 1e9);
  }

  /**
   * Stops taking builds and ends the sessions; after a failure (of the copy or a build) a build still running is
   * aborted with its session: its CREATE INDEX rolls back on T and a retry builds it again.
   */
  @Override
  public void close() {
    pool.shutdownNow();
    for (Connection c : sessions) {
      try {
        c.abort(Runnable::run);
      } catch (Exception ignored) {
        // closing: the session may be gone
      }
    }
  }
}
