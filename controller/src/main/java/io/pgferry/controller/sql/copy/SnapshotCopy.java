package io.pgferry.controller.sql.copy;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.BinaryIo;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * The initial copy A -> T under one snapshot (issue 15): the subscription's slot is created on A over a replication
 * connection that exports its snapshot, held open by a {@link SnapshotHolder} (A's agent, {@link AgentHeldSnapshot}; else this
 * process, {@link ControllerHeldSnapshot}); {@code tableJobs} workers each import it
 * (REPEATABLE READ, SET TRANSACTION SNAPSHOT) and copy items ({@link CopyPlanner}: tables, and ranges of the large
 * ones) with COPY ... TO STDOUT on A streamed into COPY ... FROM STDIN on T through this process (binary where both
 * servers have the same major and every column's type is built in or an enum and has binary I/O, else text). Each item commits on T
 * with its done mark ({@link CopyLedger}). Afterwards the subscription is created with copy_data = false,
 * create_slot = false on that slot: apply starts at the snapshot's point.
 *
 * <p>Resuming: items done stay done while the snapshot recorded with them is still held and can be imported (held by A's
 * agent: also after a controller restart; held by this process: a retry in the same process); when it cannot (the
 * holder lost it: A or its agent restarted, or the controller restarted holding it itself), rows
 * copied under it belong to the old slot's point and cannot be mixed with a new snapshot, so the slot is dropped, the
 * copied tables are emptied on T and the copy starts afresh.
 */
public final class SnapshotCopy implements SqlAction<SnapshotCopy.Result> {
  /**
   * What a run did.
   *
   * @param copiedAsText the tables this run copied in text format (the others went binary), sorted
   */
  public record Result(int items, int copiedNow, int doneBefore, boolean restarted, boolean resumed, String snapshot,
                       CopyProgress.View view, List<String> copiedAsText) {
    public String sentence() {
      if (items == 0) {
        return "nothing to copy: the subscription exists already";
      }
      return (restarted ? "the earlier snapshot could not be imported: slot dropped, copied tables emptied on T, copied afresh; " : "")
          + (resumed ? "resumed under the earlier snapshot, still held; " : "")
          + "copied " + copiedNow + " of " + items + " tables and ranges under snapshot " + snapshot
          + (doneBefore > 0 ? " (" + doneBefore + " done before, not copied again)" : "")
          + (copiedAsText.isEmpty() ? "" : " (in text format: " + copiedAsText.size() + (copiedAsText.size() == 1 ? " table)" : " tables)")) + ": " + view.sentence();
    }

    public Map<String, String> evidence() {
      return Map.of("items", String.valueOf(items), "copied_now", String.valueOf(copiedNow), "done_before", String.valueOf(doneBefore),
          "remaining", String.valueOf(items - doneBefore), "restarted", String.valueOf(restarted), "resumed", String.valueOf(resumed),
          "snapshot", snapshot == null ? "" : snapshot,
          "bytes", String.valueOf(view == null ? 0 : view.bytes()), "rows", String.valueOf(view == null ? 0 : view.rows()),
          "copied_as_text", String.join(", ", copiedAsText));
    }
  }

  /**
   * @param tableJobs workers copying at once (0: this host's cores)
   * @param splitLargerThan bytes (A's table size) above which a table is cut into ranges; 0: never
   * @param failoverSlot the slot is a PostgreSQL 17 failover slot (A and T on 17+): created with FAILOVER, since a
   *                     subscription on an existing slot (create_slot = false) leaves the slot's failover property alone
   */
  public record Options(int tableJobs, long splitLargerThan, boolean failoverSlot) {
    public Options(int tableJobs, long splitLargerThan) {
      this(tableJobs, splitLargerThan, false);
    }

    public int jobs() {
      return tableJobs > 0 ? tableJobs : Runtime.getRuntime().availableProcessors();
    }
  }

  private final PgEndpoint source;
  private final PgEndpoint target;
  private final String slot;
  private final String publication;
  private final String subscription;
  private final Options options;
  private final Consumer<CopyProgress.View> listener;
  private final Clock clock;
  private final SnapshotHolder holder;
  private Consumer<TableRef> tableCopied = t -> { };
  private final Map<TableRef, AtomicInteger> itemsLeft = new ConcurrentHashMap<>();
  /** Per table copied in this run: binary (true) or text. */
  private final Map<TableRef, Boolean> binary = new ConcurrentHashMap<>();

  public SnapshotCopy(PgEndpoint source, PgEndpoint target, String slot, String publication, String subscription, Options options,
                      Consumer<CopyProgress.View> listener, Clock clock) {
    this(source, target, slot, publication, subscription, options, listener, clock, null);
  }

  private SnapshotCopy(PgEndpoint source, PgEndpoint target, String slot, String publication, String subscription, Options options,
                       Consumer<CopyProgress.View> listener, Clock clock, SnapshotHolder holder) {
    this.holder = holder != null ? holder : new ControllerHeldSnapshot(source, slot);
    this.source = source;
    this.target = target;
    this.slot = slot;
    this.publication = publication;
    this.subscription = subscription;
    this.options = options;
    this.listener = listener == null ? v -> { } : listener;
    this.clock = clock;
  }

  /** The same copy with its snapshot held by {@code h} (A's agent) instead of this process. */
  public SnapshotCopy heldBy(SnapshotHolder h) {
    SnapshotCopy copy = new SnapshotCopy(source, target, slot, publication, subscription, options, listener, clock, h);
    copy.tableCopied = tableCopied;
    return copy;
  }

  /**
   * {@code listener} is told (on a copy worker: it must not wait) when every item of a table copied in this run is done,
   * e.g. to build that table's indexes beside the copy ({@link TableIndexBuild}).
   */
  public SnapshotCopy onTableCopied(Consumer<TableRef> listener) {
    this.tableCopied = listener;
    return this;
  }

  @Override
  public List<String> describe() {
    return List.of(
        "on " + target + ": skip when subscription " + subscription + " exists; CREATE TABLE IF NOT EXISTS " + CopyLedger.TABLE
            + " (the items and which are done)",
        holder.describe() + ": CREATE_REPLICATION_SLOT " + slot
            + " LOGICAL pgoutput (SNAPSHOT 'export'; FAILOVER true when A and T run 17+); when the slot exists and the snapshot recorded"
            + " with the items is still held: copy only the items not done; else: let go of it, pg_drop_replication_slot, drop the foreign keys"
            + " between the copied tables on T (the builds beside the copy add them again), TRUNCATE those tables, copy afresh",
        "on " + source + ": the tables of publication " + publication + ", those larger than " + (options.splitLargerThan() <= 0 ? "(never)"
            : options.splitLargerThan() + " bytes") + " cut into ranges of about that size (ctid on PostgreSQL 14+, else an integer primary key)",
        (options.tableJobs() > 0 ? options.tableJobs() : "<cores of the controller host>") + " workers: on " + source
            + " BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '<exported>'; COPY (SELECT ...) TO STDOUT "
            + "(FORMAT binary when both majors match and the types allow, else text) -> on " + target
            + " SET session_replication_role = replica (where allowed: foreign keys and triggers do not fire for copied rows);"
            + " COPY ... FROM STDIN and UPDATE " + CopyLedger.TABLE + " SET done in one transaction per table or range (a table copied"
            + " whole: TRUNCATE ONLY first in that transaction and COPY ... (FREEZE), where T allows the TRUNCATE)",
        "let go of the snapshot (the replication connection closes; the slot keeps the snapshot's point for the subscription)");
  }

  @Override
  public Result run() throws Exception {
    List<CopyLedger.Entry> entries;
    boolean restarted = false;
    boolean resumed;
    SnapshotHolder.Held snapshot;
    try (Connection t = target.connect(Purpose.SCHEMA); Connection a = source.connect(Purpose.SCHEMA)) {
      if (Sql.exists(t, "SELECT 1 FROM pg_subscription WHERE subname = ? "
          + "AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())", subscription)) {
        return new Result(0, 0, 0, false, false, null, null, List.of());
      }
      CopyLedger.ensure(t);
      entries = CopyLedger.read(t);
      boolean slotExists = Sql.exists(a, "SELECT 1 FROM pg_replication_slots WHERE slot_name = ?", slot);
      snapshot = holder.held();
      boolean allDone = !entries.isEmpty() && entries.stream().allMatch(CopyLedger.Entry::done);
      if (allDone && slotExists) {
        holder.release();
        CopyProgress p = new CopyProgress(clock, entries);
        p.finish();
        return new Result(entries.size(), 0, entries.size(), false, false, entries.get(0).snapshot(), p.view(), List.of());
      }
      boolean resumable = slotExists && snapshot != null && !entries.isEmpty() && entries.get(0).snapshot().equals(snapshot.name())
          && importable(snapshot.name());
      resumed = resumable;
      if (!resumable) {
        restarted = !entries.isEmpty() || slotExists;
        holder.release();
        if (slotExists) {
          Sql.execute(a, "SELECT pg_drop_replication_slot(" + Sql.literal(slot) + ")");
        }
        CopyLedger.discard(t, entries);
        snapshot = holder.create(options.failoverSlot());
        List<CopyItem> items;
        try (Connection planner = inSnapshot(snapshot.name())) {
          items = CopyPlanner.plan(planner, publication, options.splitLargerThan());
          planner.rollback();
        }
        CopyLedger.record(t, snapshot.name(), items);
        entries = CopyLedger.read(t);
      }
    }
    int doneBefore = (int) entries.stream().filter(CopyLedger.Entry::done).count();
    CopyProgress progress = new CopyProgress(clock, entries);
    CopyMetrics.current(progress);
    int copied = copyAll(snapshot.name(), entries.stream().filter(e -> !e.done()).map(CopyLedger.Entry::item).toList(), progress);
    progress.finish();
    listener.accept(progress.view());
    holder.release();
    return new Result(entries.size(), copied, doneBefore, restarted, resumed, snapshot.name(), progress.view(), copiedAsText());
  }

  /**
   * {@code subscribe} (the subscription on the copy's slot), then the ledger dropped from T: once the subscription
   * exists the copy is over, and a table on T only must not sit in a FOR ALL TABLES publication of T (reverse
   * replication would subscribe A to it). Idempotent: the drop runs again when the subscription existed already.
   */
  public static SqlAction<Boolean> thenDropLedger(SqlAction<Boolean> subscribe, PgEndpoint target) {
    return new SqlAction<>() {
      @Override
      public List<String> describe() {
        List<String> out = new ArrayList<>(subscribe.describe());
        out.add("on " + target + ": DROP TABLE IF EXISTS " + CopyLedger.TABLE + " (the copy is over)");
        return out;
      }

      @Override
      public Boolean run() throws Exception {
        boolean created = subscribe.run();
        try (Connection t = target.connect(Purpose.SCHEMA)) {
          Sql.execute(t, "DROP TABLE IF EXISTS " + CopyLedger.TABLE);
        }
        return created;
      }
    };
  }

  private boolean importable(String snapshotName) {
    try (Connection c = inSnapshot(snapshotName)) {
      c.rollback();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Rows are copied in any order, as the subscription's own table sync does it: with session_replication_role
   * replica, T's foreign keys and triggers do not fire for them (they hold on A, where the rows come from). Needed when
   * T already has its whole schema (put there by hand, or foreign keys built before the copy); allowed to a superuser
   * and to Aurora/RDS's rds_superuser. Refused elsewhere: the copy goes on without it (foreign keys are built after it).
   */
  private static void asReplica(Connection t) throws SQLException {
    try (Statement st = t.createStatement()) {
      st.execute("SET session_replication_role = replica");
    } catch (SQLException e) {
      if (!"42501".equals(e.getSQLState())) { // insufficient_privilege: foreign keys come after the copy (post-data)
        throw e;
      }
    }
  }

  /** A session on A inside a REPEATABLE READ READ ONLY transaction that imported {@code snapshotName}. */
  private Connection inSnapshot(String snapshotName) throws SQLException {
    Connection c = source.connect(Purpose.COPY);
    try {
      c.setAutoCommit(false);
      Sql.execute(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      Sql.execute(c, "SET TRANSACTION SNAPSHOT " + Sql.literal(snapshotName));
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  /** pgferry's own tables (its DDL log) alone first, then the rest on the workers; the first failure stops all. */
  private int copyAll(String snapshotName, List<CopyItem> todo, CopyProgress progress) throws Exception {
    List<CopyItem> own = todo.stream().filter(i -> "pgferry".equals(i.table().schema())).toList();
    List<CopyItem> rest = todo.stream().filter(i -> !"pgferry".equals(i.table().schema())).toList();
    itemsLeft.clear();
    binary.clear();
    todo.forEach(i -> itemsLeft.computeIfAbsent(i.table(), x -> new AtomicInteger()).incrementAndGet());
    return copyOn(1, snapshotName, own, progress) + copyOn(options.jobs(), snapshotName, rest, progress);
  }

  private int copyOn(int jobs, String snapshotName, List<CopyItem> items, CopyProgress progress) throws Exception {
    if (items.isEmpty()) {
      return 0;
    }
    ConcurrentLinkedQueue<CopyItem> queue = new ConcurrentLinkedQueue<>(items);
    AtomicBoolean failed = new AtomicBoolean();
    AtomicInteger copied = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, items.size()), r -> {
      Thread th = new Thread(r, "pgferry-copy");
      th.setDaemon(true);
      return th;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < Math.min(jobs, items.size()); w++) {
        futures.add(pool.submit(() -> {
          try (Connection a = inSnapshot(snapshotName); Connection t = target.connect(Purpose.COPY)) {
            asReplica(t);
            t.setAutoCommit(false);
            boolean sameMajor = Sql.serverMajor(a) == Sql.serverMajor(t);
            CopyItem item;
            while (!failed.get() && (item = queue.poll()) != null) {
              if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("copy interrupted");
              }
              boolean bin = binary.computeIfAbsent(item.table(), tr -> sameMajor && binarySafe(a, tr));
              copyItem(a, t, item, bin, progress);
              copied.incrementAndGet();
              if (itemsLeft.get(item.table()).decrementAndGet() == 0) {
                tableCopied.accept(item.table());
              }
            }
            a.rollback();
          } catch (Exception e) {
            failed.set(true);
            throw e;
          }
          return null;
        }));
      }
      Exception first = null;
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (first == null) {
            first = e.getCause() instanceof Exception x ? x : new SQLException(e.getCause());
          }
        } catch (InterruptedException e) {
          failed.set(true);
          pool.shutdownNow();
          throw e;
        }
      }
      if (first != null) {
        throw first;
      }
      return copied.get();
    } finally {
      pool.shutdownNow();
    }
  }

  private List<String> copiedAsText() {
    return binary.entrySet().stream().filter(e -> !e.getValue()).map(e -> e.getKey().toString()).sorted().toList();
  }

  /** Every column's type is built in or an enum (a domain by its base) and has binary send/receive ({@link BinaryIo}). */
  private static boolean binarySafe(Connection a, TableRef table) {
    try {
      return "t".equals(Sql.value(a, """
          SELECT coalesce(bool_and(b.oid < 16384 OR b.typtype = 'e'), true)
          FROM pg_attribute at JOIN pg_type ty ON ty.oid = at.atttypid
          JOIN pg_type b ON b.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END
          WHERE at.attrelid = ?::regclass AND at.attnum > 0 AND NOT at.attisdropped""", table.sql()))
          && BinaryIo.typesWithout(a, "a.attrelid = ?::regclass", table.sql()).isEmpty();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The columns COPY carries: not dropped, not generated (T computes those). */
  private static String columns(Connection a, TableRef table) throws SQLException {
    String generated = Sql.serverMajor(a) >= 12 ? " AND attgenerated = ''" : "";
    List<String> cols = new ArrayList<>();
    for (Map<String, String> r : Sql.rows(a, "SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 "
        + "AND NOT attisdropped" + generated + " ORDER BY attnum", table.sql())) {
      cols.add(Sql.ident(r.get("attname")));
    }
    return String.join(", ", cols);
  }

  /**
   * A table copied whole is emptied in the transaction that copies it, so its rows go in with COPY ... (FREEZE): written
   * frozen and all-visible (PostgreSQL 14+ sets the visibility map), so the index builds and checks that read it next
   * and the VACUUM before cutover 2 do not rewrite every page to set hint bits, and index-only scans work at once.
   * The item is not done, so the table holds none of its rows (the done mark commits with them): emptying it loses
   * nothing. Refused (no TRUNCATE privilege, a foreign key on T referencing it): rolled back to the savepoint, copied
   * without FREEZE. A table cut into ranges cannot be emptied by one range: those copy without it.
   */
  private static boolean emptiedForFreeze(Connection t, CopyItem item) throws SQLException {
    if (!item.where().isEmpty() || item.partitioned()) {
      return false;
    }
    Savepoint sp = t.setSavepoint();
    try {
      Sql.execute(t, "TRUNCATE ONLY " + item.table().sql());
      t.releaseSavepoint(sp);
      return true;
    } catch (SQLException e) {
      t.rollback(sp);
      return false;
    }
  }

  private void copyItem(Connection a, Connection t, CopyItem item, boolean binary, CopyProgress progress) throws Exception {
    String cols = columns(a, item.table());
    String format = binary ? " (FORMAT binary)" : "";
    boolean freeze = emptiedForFreeze(t, item);
    String out = "COPY (" + item.selectSql(cols) + ") TO STDOUT" + format;
    String in = "COPY " + item.table().sql() + " (" + cols + ") FROM STDIN" + (binary && freeze ? " (FORMAT binary, FREEZE)"
        : freeze ? " (FREEZE)" : format);
    long[] lastReport = {System.nanoTime()};
    long[] itemBytes = {0};
    long[] pending = {0};
    PGCopyOutputStream toT = null;
    try {
      PGCopyOutputStream sink = new PGCopyOutputStream(t.unwrap(PGConnection.class), in, 1 << 16);
      toT = sink;
      OutputStream counting = new FilterOutputStream(sink) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          sink.write(b, off, len);
          itemBytes[0] += len;
          pending[0] += len;
          if (pending[0] >= 1 << 20) { // one row is one call: the shared counters every MB, not every row
            progress.streamed(item, pending[0]);
            pending[0] = 0;
            if (System.nanoTime() - lastReport[0] > 1_000_000_000L) {
              lastReport[0] = System.nanoTime();
              listener.accept(progress.view());
            }
          }
        }
      };
      a.unwrap(PGConnection.class).getCopyAPI().copyOut(out, counting);
      progress.streamed(item, pending[0]);
      long rows = sink.endCopy();
      CopyLedger.done(t, item, rows, itemBytes[0]);
      t.commit();
      progress.done(item, rows);
      listener.accept(progress.view());
    } catch (Exception e) {
      progress.failed(item);
      try {
        if (toT != null && toT.isActive()) {
          toT.cancelCopy();
        }
        t.rollback();
      } catch (SQLException ignored) {
        // the session may be gone: its transaction is rolled back with it
      }
      throw e;
    }
  }
}
