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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The indexes and non-FK constraints of each table, built on T as soon as that table's copy is done, on {@code jobs}
 * sessions beside the copy streams still running (as pgcopydb does): the copy goes largest table first, so the big
 * table's indexes are built while the small tables still copy. The primary keys and replica identity indexes are
 * among them (with the snapshot copy T's tables are bare during the copy: apply starts only after it);
 * {@link #finish()} waits for every build and then builds the identity keys not built yet (a partitioned table's,
 * a table copied before a retry), so the subscription finds every table with its key. Whatever else is left
 * (foreign keys, triggers, indexes of partitioned tables, ...) is {@link PostDataBuild}'s, which skips what is here.
 *
 * <p>Idempotent like {@link PostDataBuild}: what T has is skipped, "already exists" counts as present, and CREATE
 * INDEX is transactional (a crash costs the index being built, nothing half-built stays).
 */
public final class TableIndexBuild implements AutoCloseable {
  /** What the builds did. */
  public record Result(int built, int present, int jobs, double buildSeconds) {
    public String sentence() {
      return String.format(Locale.ROOT, "%d indexes and constraints built beside the copy (%d were there), %d jobs, %.1f s of building",
          built, present, jobs, buildSeconds);
    }
  }

  /** The table (not partitioned) of each index and constraint on A, keyed as {@link PostDataBuild#key} keys entries. */
  private static final String TABLE_OF = """
      SELECT 'INDEX|' || n.nspname || '|' || c.relname AS key, tn.nspname AS table_schema, t.relname AS table_name
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
       WHERE t.relkind <> 'p'
      UNION ALL
      SELECT 'CONSTRAINT|' || n.nspname || '|' || r.relname || ' ' || co.conname, n.nspname, r.relname
        FROM pg_constraint co JOIN pg_class r ON r.oid = co.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
       WHERE r.relkind <> 'p'
      """;

  private record Plan(String preamble, Map<TableRef, List<DumpScript.Entry>> byTable, List<DumpScript.Entry> identityKeys) {}

  private final PgEndpoint source;
  private final PgEndpoint target;
  private final Path clientBinDir;
  private final int jobs;
  private final String maintenanceWorkMem;
  private final CompletableFuture<Plan> plan;
  private final ExecutorService pool;
  private final ConcurrentLinkedQueue<Connection> sessions = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<Connection> session = new ThreadLocal<>();
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final List<Future<?>> builds = Collections.synchronizedList(new ArrayList<>());
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private final AtomicInteger built = new AtomicInteger();
  private final AtomicInteger present = new AtomicInteger();
  private final AtomicLong buildNanos = new AtomicLong();

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
    this.pool = Executors.newFixedThreadPool(this.jobs, r -> {
      Thread th = new Thread(r, "pgferry-table-index");
      th.setDaemon(true);
      return th;
    });
    this.plan = CompletableFuture.supplyAsync(this::readPlan, pool);
  }

  /** What {@link TableIndexBuild} runs, for a step's description. */
  public static String describe(PgEndpoint target, int jobs, String maintenanceWorkMem) {
    return "on " + target + ", " + (jobs > 0 ? String.valueOf(jobs) : "<cores of the controller host>") + " sessions beside the copy"
        + (maintenanceWorkMem == null || maintenanceWorkMem.isEmpty() ? "" : " (SET maintenance_work_mem = '" + maintenanceWorkMem + "')")
        + ": as soon as a table's rows are all copied, its primary key, replica identity index, other indexes and non-FK constraints "
        + "from pg_dump --section=post-data of A (what T has is skipped); at the end the identity keys still missing";
  }

  private Plan readPlan() {
    try {
      PostDataBuild.Pending pending = PostDataBuild.pending(source, target, clientBinDir);
      if (pending == null) {
        return new Plan("", Map.of(), List.of());
      }
      Map<String, TableRef> tableOf = new HashMap<>();
      try (Connection a = source.connect(Purpose.SCHEMA)) {
        for (Map<String, String> r : Sql.rows(a, TABLE_OF)) {
          tableOf.put(r.get("key"), new TableRef(r.get("table_schema"), r.get("table_name")));
        }
      }
      Map<TableRef, List<DumpScript.Entry>> byTable = new HashMap<>();
      List<DumpScript.Entry> identityKeys = new ArrayList<>();
      for (DumpScript.Entry e : pending.todo()) {
        if (!e.indexBuild()) {
          continue;
        }
        if (e.identityKey()) {
          identityKeys.add(e);
        }
        TableRef table = tableOf.get(PostDataBuild.key(e));
        if (table != null) {
          byTable.computeIfAbsent(table, x -> new ArrayList<>()).add(e);
        }
      }
      // the identity key first: of a table's builds it is the one apply needs
      byTable.values().forEach(l -> l.sort((x, y) -> Boolean.compare(y.identityKey(), x.identityKey())));
      return new Plan(pending.script().preamble(), byTable, identityKeys);
    } catch (Exception e) {
      throw new IllegalStateException("reading A's post-data for the builds beside the copy: " + e.getMessage(), e);
    }
  }

  /** Every item of {@code table} is copied: its builds are queued (called from a copy worker; does not wait). */
  public void tableCopied(TableRef table) {
    // finish() waits for this before the builds it queues (it adds them to the list after itself)
    builds.add(plan.thenAccept(p -> p.byTable().getOrDefault(table, List.of()).forEach(this::queue)));
  }

  private void queue(DumpScript.Entry e) {
    if (!queued.add(PostDataBuild.key(e) + "|" + e.sql())) {
      return;
    }
    builds.add(pool.submit(() -> {
      if (failure.get() != null) {
        return null;
      }
      try {
        long t0 = System.nanoTime();
        if (PostDataBuild.apply(session(), e)) {
          built.incrementAndGet();
        } else {
          present.incrementAndGet();
        }
        buildNanos.addAndGet(System.nanoTime() - t0);
      } catch (Exception ex) {
        failure.compareAndSet(null, ex);
        throw ex;
      }
      return null;
    }));
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
      plan.get().identityKeys().forEach(this::queue);
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
    return new Result(built.get(), present.get(), jobs, buildNanos.get() / 1e9);
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
