package io.pgferry.controller.sql.logical;

import static io.pgferry.controller.sql.logical.AppDatabases.appDb;
import static io.pgferry.controller.sql.logical.AppDatabases.exec;
import static io.pgferry.controller.sql.logical.AppDatabases.until;
import static io.pgferry.controller.sql.logical.AppDatabases.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.copy.CopyProgress;
import io.pgferry.controller.sql.copy.ExportedSnapshot;
import io.pgferry.controller.sql.copy.SnapshotCopy;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The initial copy under the slot's exported snapshot (issue 15 item 2): a writer inserts, updates and deletes on A
 * all through the copy; the big tables are cut into ranges copied by two workers; the subscription then starts on
 * that slot with copy_data = false. Every row is on T exactly once and T equals A (counts and checksums per table).
 * A copy interrupted midway resumes with only the unfinished ranges while the snapshot lives; once it is gone
 * (a controller restart) the copy starts afresh on a new slot, and T still ends equal to A.
 */
class SnapshotCopyTest {
  private static final String PASSWORD = "snapshot copy";
  private static final LogicalNames NAMES = LogicalNames.DEFAULT;
  private static final List<String> TABLES = List.of("shop.big", "shop.heap", "shop.small");
  private static final String SCHEMA = """
      CREATE SCHEMA shop;
      CREATE TABLE shop.big (id bigint PRIMARY KEY, n int NOT NULL, note text);
      CREATE TABLE shop.heap (k int, payload text);
      CREATE TABLE shop.small (id int PRIMARY KEY, v text, g int GENERATED ALWAYS AS (id * 2) STORED);
      INSERT INTO shop.big SELECT g, 0, md5(g::text) || repeat('x', 40) FROM generate_series(1, 150000) g;
      INSERT INTO shop.heap SELECT g, md5(g::text) || repeat('y', 60) FROM generate_series(1, 100000) g;
      INSERT INTO shop.small SELECT g, 's' || g FROM generate_series(1, 500) g;
      """;

  private record Pair(PgEndpoint a, PgEndpoint t, LogicalSetup setup, long split) {}

  private static Pair prepare(PgCluster ca, PgCluster ct) throws Exception {
    Pair p = prepare(ca, ct, SCHEMA);
    // every table but shop.small is larger than this: big and heap are cut into >= 3 ranges each
    long split = Long.parseLong(value(p.a(), "SELECT pg_table_size('shop.heap') / 4"));
    return new Pair(p.a(), p.t(), p.setup(), split);
  }

  /** A and T with {@code schema} and A's rows, the schema copied to T, the publication on A; no table split. */
  private static Pair prepare(PgCluster ca, PgCluster ct, String schema) throws Exception {
    PgEndpoint a = appDb(ca);
    PgEndpoint t = appDb(ct);
    exec(a, schema, "ANALYZE");
    new TargetRoles(a, t, NAMES.role(), null, null).run();
    LogicalSetup setup = new LogicalSetup(a, t, new LogicalSetup.Options(NAMES, PASSWORD, List.of(), List.of(), null, null, false));
    setup.role().run();
    setup.schema().run();
    setup.publication().run();
    return new Pair(a, t, setup, 0);
  }

  /** Inserts, updates and deletes on A until stopped; counts its transactions. */
  private static final class Writer implements AutoCloseable {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong commits = new AtomicLong();
    final Thread thread;
    volatile Exception failure;

    Writer(PgEndpoint a) {
      thread = new Thread(() -> {
        long next = 1_000_000;
        try (Connection c = a.connect(Purpose.ADMIN)) {
          while (!stop.get()) {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            long id = 1 + r.nextLong(150_000);
            Sql.execute(c, "INSERT INTO shop.big VALUES (" + next++ + ", 1, 'new')");
            Sql.execute(c, "UPDATE shop.big SET n = n + 1, note = 'u' || n WHERE id = " + id);
            Sql.execute(c, "DELETE FROM shop.big WHERE id = " + (1 + r.nextLong(150_000)));
            Sql.execute(c, "INSERT INTO shop.heap VALUES (" + next + ", 'w')");
            Sql.execute(c, "UPDATE shop.small SET v = v || '+' WHERE id = " + (1 + r.nextInt(500)));
            commits.addAndGet(5);
          }
        } catch (Exception e) {
          failure = e;
        }
      }, "writer");
      thread.start();
    }

    @Override
    public void close() throws Exception {
      stop.set(true);
      thread.join(30_000);
      if (failure != null) {
        throw failure;
      }
    }
  }

  private static SnapshotCopy copy(Pair p, int jobs, Consumer<CopyProgress.View> listener) {
    return new SnapshotCopy(p.a(), p.t(), NAMES.slot(), NAMES.publication(), NAMES.subscription(),
        new SnapshotCopy.Options(jobs, p.split()), listener, Clock.systemUTC());
  }

  /** Starts apply on the copy's slot, lets the writer go on, stops it and waits until T has applied everything. */
  private static void subscribeAndCatchUp(Pair p, Writer writer) throws Exception {
    assertTrue(p.setup().subscription().onExistingSlot().run());
    long at = writer.commits.get();
    until(Duration.ofSeconds(60), "more writes after the subscription", () -> writer.commits.get() > at + 200);
    writer.close();
    SyncProgress progress = new SyncProgress(p.a(), p.t(), NAMES, Clock.systemUTC());
    until(Duration.ofSeconds(120), "T caught up", () -> progress.snapshot().caughtUp(0));
    for (String table : TABLES) {
      String sum = "SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '-') FROM " + table + " x";
      assertEquals(value(p.a(), sum), value(p.t(), sum), table + ": count and checksum on T equal A's");
    }
    assertEquals("0", value(p.t(), "SELECT count(*) FROM (SELECT id FROM shop.big GROUP BY id HAVING count(*) > 1) d"));
  }

  @Test
  void copiesEveryRowOnceUnderTheSlotsSnapshotWhileTheAppWrites() throws Exception {
    try (Workspace ws = Workspace.create("snapcopy"); PgCluster ca = PgCluster.start(ws, "a", 15); PgCluster ct = PgCluster.start(ws, "t", 15)) {
      Pair p = prepare(ca, ct);
      Writer writer = new Writer(p.a());
      until(Duration.ofSeconds(30), "the writer running", () -> writer.commits.get() > 50);
      List<CopyProgress.View> views = new CopyOnWriteArrayList<>();
      SnapshotCopy.Result r = copy(p, 2, views::add).run();

      assertEquals(r.items(), r.copiedNow(), r.sentence());
      assertFalse(r.restarted(), r.sentence());
      long bigRanges = views.get(views.size() - 1).tables().stream().filter(v -> v.table().equals("shop.big")).findFirst().orElseThrow().items();
      assertTrue(bigRanges >= 3, "shop.big in " + bigRanges + " ranges: " + r.sentence());
      assertTrue(r.view().percent() == 100.0 && r.view().rows() >= 250_000, r.sentence());
      assertEquals(r.items() + "", value(p.t(), "SELECT count(*) FROM pgferry.copy_items WHERE done"));
      assertTrue(value(p.t(), "SELECT string_agg(range_sql, ' | ') FROM pgferry.copy_items WHERE table_name = 'heap'").contains("ctid"),
          "a table without a key is cut by ctid");
      assertEquals(null, ExportedSnapshot.held(NAMES.slot()), "the snapshot is released once the copy is done");
      // the table copied whole went in frozen (emptied and copied in one transaction, COPY FREEZE); the ranges not
      // (ANALYZE counts the pages the visibility map has all-visible into relallvisible)
      exec(p.t(), "ANALYZE shop.small, shop.big");
      assertEquals("true false", value(p.t(), "SELECT string_agg((relpages > 0 AND relallvisible = relpages)::text, ' ' ORDER BY relname DESC) "
          + "FROM pg_class WHERE oid IN ('shop.small'::regclass, 'shop.big'::regclass)"));

      // a second run (the step retried after the copy) copies nothing
      SnapshotCopy.Result again = copy(p, 2, null).run();
      assertEquals(0, again.copiedNow(), again.sentence());

      subscribeAndCatchUp(p, writer);
      assertEquals(NAMES.slot(), value(p.t(), "SELECT subslotname FROM pg_subscription"));
    }
  }

  @Test
  void anInterruptedCopyResumesWithTheUnfinishedRangesOnlyOrAfreshOnceTheSnapshotIsGone() throws Exception {
    try (Workspace ws = Workspace.create("snapresume"); PgCluster ca = PgCluster.start(ws, "a", 15);
         PgCluster ct = PgCluster.start(ws, "t", 15)) {
      Pair p = prepare(ca, ct);
      Writer writer = new Writer(p.a());
      until(Duration.ofSeconds(30), "the writer running", () -> writer.commits.get() > 50);

      // T's copy sessions end once two items are done: the step fails midway
      assertThrows(Exception.class, () -> copy(p, 2, interruptAfter(p.t(), 2)).run());
      int total = Integer.parseInt(value(p.t(), "SELECT count(*) FROM pgferry.copy_items"));
      int done = Integer.parseInt(value(p.t(), "SELECT count(*) FROM pgferry.copy_items WHERE done"));
      assertTrue(done >= 2 && done < total, done + " of " + total + " done");
      String firstSnapshot = value(p.t(), "SELECT min(snapshot) FROM pgferry.copy_items");

      // the controller restarts: the snapshot is gone with its connection, so the slot is dropped, T's copied tables
      // emptied and the copy starts afresh (interrupted again after two items)
      ExportedSnapshot.held(NAMES.slot()).close();
      assertThrows(Exception.class, () -> copy(p, 2, interruptAfter(p.t(), 2)).run());
      int total2 = Integer.parseInt(value(p.t(), "SELECT count(*) FROM pgferry.copy_items"));
      int done2 = Integer.parseInt(value(p.t(), "SELECT count(*) FROM pgferry.copy_items WHERE done"));
      String secondSnapshot = value(p.t(), "SELECT min(snapshot) FROM pgferry.copy_items");
      assertTrue(!secondSnapshot.equals(firstSnapshot) && done2 >= 2 && done2 < total2, done2 + " of " + total2 + " under " + secondSnapshot);

      // retried in the same process: the snapshot is importable, only the unfinished items are copied
      SnapshotCopy.Result resumed = copy(p, 2, null).run();
      assertFalse(resumed.restarted(), resumed.sentence());
      assertEquals(secondSnapshot, resumed.snapshot(), resumed.sentence());
      assertEquals(done2, resumed.doneBefore(), resumed.sentence());
      assertEquals(total2 - done2, resumed.copiedNow(), resumed.sentence());

      subscribeAndCatchUp(p, writer);
    }
  }

  @Test
  void aTableWithATypeWithoutBinaryIoIsCopiedAsTextTheOthersBinary() throws Exception {
    try (Workspace ws = Workspace.create("snapformat"); PgCluster ca = PgCluster.start(ws, "a", 15); PgCluster ct = PgCluster.start(ws, "t", 15)) {
      // aclitem is built in but has no binary send/receive, nor have its array and a domain over it
      Pair p = prepare(ca, ct, """
          CREATE SCHEMA shop;
          CREATE DOMAIN shop.grant_note AS aclitem;
          CREATE TABLE shop.acl (id int PRIMARY KEY, acl aclitem, acls aclitem[], note shop.grant_note);
          CREATE TABLE shop.plain (id int PRIMARY KEY, v text, n numeric[]);
          INSERT INTO shop.acl SELECT g, 'postgres=r/postgres', ARRAY['postgres=arw/postgres'::aclitem, 'postgres=U/postgres'], 'postgres=c/postgres'
            FROM generate_series(1, 200) g;
          INSERT INTO shop.plain SELECT g, 'p' || g, ARRAY[g, g / 3.0] FROM generate_series(1, 200) g;
          """);
      SnapshotCopy.Result r = copy(p, 2, null).run();

      assertEquals(List.of("shop.acl"), r.copiedAsText(), r.sentence());
      assertEquals("shop.acl", r.evidence().get("copied_as_text"));
      for (String table : List.of("shop.acl", "shop.plain")) {
        String sum = "SELECT count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY x::text)) FROM " + table + " x";
        assertEquals(value(p.a(), sum), value(p.t(), sum), table + ": count and checksum on T equal A's");
      }
    }
  }

  /** A listener that ends T's copy sessions once {@code items} items are done (once). */
  private static Consumer<CopyProgress.View> interruptAfter(PgEndpoint t, int items) {
    AtomicBoolean fired = new AtomicBoolean();
    return v -> {
      if (v.itemsDone() >= items && !v.finished() && fired.compareAndSet(false, true)) {
        try {
          exec(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgferry-copy'");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
  }
}
