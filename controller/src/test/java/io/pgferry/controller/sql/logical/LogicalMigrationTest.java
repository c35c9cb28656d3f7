package io.pgferry.controller.sql.logical;

import static io.pgferry.controller.sql.logical.AppDatabases.appDb;
import static io.pgferry.controller.sql.logical.AppDatabases.exec;
import static io.pgferry.controller.sql.logical.AppDatabases.until;
import static io.pgferry.controller.sql.logical.AppDatabases.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Lsn;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.DatabaseFence;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.controller.sql.sequences.SequenceReport;
import io.pgferry.controller.sql.sequences.SequenceSync;
import io.pgferry.controller.sql.verify.TableVerification;
import io.pgferry.controller.sql.verify.Verifier;
import io.pgferry.controller.sql.verify.VerifyMode;
import io.pgferry.controller.sql.verify.VerifyReport;
import io.pgferry.proto.HbaRule;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.SeedApp;
import io.pgferry.testkit.Workspace;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seed's app schema moves from A (PG 15) to T (PG 15 and 17) by logical replication: setup, sync, verify,
 * exact sequences, cutover-2 teardown, reverse replication and rollback, all on real clusters.
 */
class LogicalMigrationTest {
  private static String url(PgCluster c) {
    return "postgresql://postgres@127.0.0.1:" + c.port() + "/app";
  }

  private static final String PASSWORD = "correct horse battery staple";

  @ParameterizedTest(name = "A 15 -> T {0}")
  @ValueSource(ints = {15, 17, 18})
  void seedAppMigratesWithExactSequencesAndRollsBack(int targetMajor) throws Exception {
    try (Workspace ws = Workspace.create("logical"); PgCluster a = PgCluster.start(ws, "a", 15); PgCluster t = PgCluster.start(ws, "t", targetMajor)) {
      PgEndpoint src = appDb(a);
      PgEndpoint dst = appDb(t);
      exec(src, SeedApp.medium().sql());
      TableRef audit = TableRef.parse("public.audit_log");

      // preflight: the table without a primary key blocks until the plan lists it under replica_identity_full
      PreflightReport refused = new LogicalPreflight(src, dst, LogicalPreflight.Options.defaults()).run();
      assertEquals(List.of("public.audit_log"), refused.blockers().stream().map(Finding::object).toList(), refused.format());
      PreflightReport allowed = new LogicalPreflight(src, dst, new LogicalPreflight.Options(List.of(audit), true, true, null)).run();
      assertTrue(allowed.ok(), allowed.format());
      assertEquals(6, allowed.of("sequence").size(), allowed.format());
      assertEquals(1, allowed.of("materialized_view").size(), allowed.format());

      // setup, twice: the second run finds everything done
      LogicalSetup setup = new LogicalSetup(src, dst, new LogicalSetup.Options(LogicalNames.DEFAULT, PASSWORD, List.of(audit), List.of(), null, null,
          false));
      assertFalse(String.join("\n", setup.describe()).contains(PASSWORD), "describe() must not show the password");
      setup.run();
      List<String> again = setup.run();
      assertEquals(List.of("replica identity FULL set on []", "replication role: Result[created=false, attributesFixed=false, grantedTables=[]]",
          "schema copy: Result[applied=false, tables=5, extensions=1, pgDumpVersion=not run]", "publication created: false",
          "subscription created: false"), again);
      assertEquals("f", value(src, "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'pgferry_repl'").substring(0, 1));
      assertEquals("t", value(src, "SELECT (rolreplication AND rolcanlogin)::text FROM pg_roles WHERE rolname = 'pgferry_repl'").substring(0, 1));
      assertTrue(value(src, "SELECT rolpassword FROM pg_authid WHERE rolname = 'pgferry_repl'").startsWith("SCRAM-SHA-256$"));
      assertFalse(a.log().contains(PASSWORD), "the password reached A's log");
      assertFalse(t.log().contains(PASSWORD), "the password reached T's log");
      HbaRule hba = setup.hbaRule("10.0.0.7", null);
      assertEquals("hostssl app pgferry_repl 10.0.0.7/32 scram-sha-256", String.join(" ", hba.getType(), hba.getDatabase(), hba.getUser(),
          hba.getAddress(), hba.getMethod()));
      SchemaFingerprint atSetup = SchemaFingerprint.of(src);

      // sync: every table ready, then writes on A (also UPDATE/DELETE on the FULL-identity table) arrive
      SyncProgress progress = new SyncProgress(src, dst, LogicalNames.DEFAULT, Clock.systemUTC());
      until(Duration.ofSeconds(90), "initial sync", () -> progress.snapshot().caughtUp(0));
      SyncSnapshot synced = progress.snapshot();
      assertEquals(5, synced.tables().size(), synced.sentence());
      assertEquals(100.0, synced.percent(), 0.001, synced.sentence());
      assertTrue(synced.retainedWalBytes() >= 0 && !synced.retainedWalAlert(1L << 30), synced.sentence());
      exec(src, "UPDATE public.users SET attrs = attrs || hstore('seen', 'yes') WHERE id % 10 = 0",
          "DELETE FROM public.events WHERE id % 7 = 0",
          "INSERT INTO public.events (user_id, kind) SELECT 1 + g % 500, 'logout' FROM generate_series(1, 200) g",
          "INSERT INTO billing.invoices (user_id, amount) VALUES (1, 10.5), (2, 20.25)",
          "UPDATE public.audit_log SET message = message || '!' WHERE actor LIKE 'u1%'",
          "DELETE FROM public.audit_log WHERE actor LIKE 'u2%'",
          "SELECT nextval('public.ticket_seq') FROM generate_series(1, 3)");

      // cutover 2: A fenced (read-only for the app) while T applies A's LSN, verify, sequences, teardown, reverse replication
      exec(src, "CREATE ROLE app LOGIN");
      DatabaseFence fence = new DatabaseFence(() -> src.connect(Purpose.FENCE), DatabaseFence.Options.of("app").quiet(Duration.ofMillis(200), Duration.ofSeconds(10)));
      fence.fence();
      CatchUp catchUp = new CatchUp(src, dst, LogicalNames.DEFAULT);
      Lsn lsn = catchUp.publisherLsn();
      CatchUp.Result caught = catchUp.waitFor(lsn, Duration.ofSeconds(60), Duration.ofMillis(100));
      assertTrue(caught.applied().compareTo(lsn) >= 0);
      VerifyReport counts = new Verifier(src, dst, VerifyMode.COUNTS, 100).run();
      assertTrue(counts.ok(), counts.format());
      VerifyReport full = new Verifier(src, dst, VerifyMode.FULL, 100).run();
      assertTrue(full.ok(), full.format());
      assertEquals(5, full.tables().size(), full.format());

      // a row changed on T behind pgferry's back: named by table and key range
      exec(dst, "UPDATE billing.line_items SET qty = qty + 1 WHERE invoice_id = 400 AND line = 2");
      VerifyReport tampered = new Verifier(src, dst, VerifyMode.FULL, 100).run();
      assertEquals(1, tampered.mismatched().size(), tampered.format());
      TableVerification bad = tampered.mismatched().get(0);
      assertEquals("billing.line_items", bad.table().toString());
      assertEquals(1, bad.mismatches().size(), tampered.format());
      assertEquals("(invoice_id, line) in ((367, 2), (400, 3)]", bad.mismatches().get(0).range().toString());
      Cli.Run cli = Cli.run("verify", "--source", url(a), "--target", url(t), "--mode", "full", "--chunk-rows", "100");
      assertEquals(1, cli.exit(), cli.out());
      assertTrue(cli.out().contains("billing.line_items: 2400 rows on A, 2400 on T, 25 chunk(s), DIFFERENT: [(invoice_id, line) in ((367, 2), (400, 3)]: "
          + "100 rows on A, 100 on T, contents differ]"), cli.out());
      exec(dst, "UPDATE billing.line_items SET qty = qty - 1 WHERE invoice_id = 400 AND line = 2");
      cli = Cli.run("verify", "--source", url(a), "--target", url(t));
      assertEquals(0, cli.exit(), cli.out());

      // every sequence exact, once
      SequenceSync sequences = new SequenceSync(src, dst);
      SequenceReport before = sequences.check();
      assertTrue(before.mismatched() >= 4, before.toString());
      SequenceReport set = sequences.run();
      assertEquals(6, set.checked(), set.toString());
      assertEquals(0, set.mismatched(), set.toString());
      assertEquals(before.mismatched(), set.set().size(), set.toString());
      assertEquals(SequenceSync.read(src), SequenceSync.read(dst));
      assertTrue(sequences.run().set().isEmpty(), "a second sequence sync must change nothing");

      // end the subscription and its slot on A; reverse replication before the app writes to T
      SubscriptionTeardown teardown = new SubscriptionTeardown(dst, src, LogicalNames.DEFAULT, null);
      assertEquals(3, teardown.run().size());
      assertTrue(teardown.run().isEmpty(), "a second teardown must do nothing");
      assertEquals("0", value(src, "SELECT count(*) FROM pg_replication_slots"));
      new MaterializedViewRefresh(dst).run();
      assertEquals(value(src, "SELECT sum(users) FROM public.plan_counts"), value(dst, "SELECT sum(users) FROM public.plan_counts"));
      ReverseReplication reverse = new ReverseReplication(dst, src, null, LogicalNames.REVERSE, PASSWORD);
      reverse.run();
      assertEquals("f", value(dst, "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'pgferry_reverse_repl'").substring(0, 1));

      // the app writes on T with default ids: no key collides
      exec(dst, "INSERT INTO public.users (email) VALUES ('after-cutover@example.com')",
          "INSERT INTO public.events (user_id, kind) SELECT id, 'signup' FROM public.users WHERE email = 'after-cutover@example.com'",
          "INSERT INTO billing.invoices (user_id, amount) SELECT id, 99.99 FROM public.users WHERE email = 'after-cutover@example.com'",
          "INSERT INTO public.audit_log (actor, message) VALUES ('after', 'cutover')");
      assertEquals("100802", value(dst, "SELECT number FROM billing.invoices ORDER BY id DESC LIMIT 1"));
      until(Duration.ofSeconds(30), "T's write on A", () -> "1".equals(value(src,
          "SELECT count(*) FROM billing.invoices i JOIN public.users u ON u.id = i.user_id WHERE u.email = 'after-cutover@example.com'")));

      assertTrue(fence.isFenced(), "A stayed fenced while reverse replication applied T's writes");

      // rollback: A has caught up, A's sequences are T's, the reverse subscription is gone; A takes new rows without collisions
      Cli.Run back = Cli.run("rollback", "--source", url(a), "--target", url(t), "--timeout", "30");
      assertEquals(0, back.exit(), back.out());
      assertTrue(back.out().contains(", 0 mismatched"), back.out());
      assertEquals(SequenceSync.read(dst), SequenceSync.read(src));
      assertEquals("0", value(src, "SELECT count(*) FROM pg_subscription"));
      assertEquals("0", value(dst, "SELECT count(*) FROM pg_replication_slots"));
      fence.lift();
      VerifyReport afterRollback = new Verifier(src, dst, VerifyMode.FULL, 1000).run();
      assertTrue(afterRollback.ok(), afterRollback.format());
      exec(src, "INSERT INTO public.users (email) VALUES ('after-rollback@example.com')",
          "INSERT INTO billing.invoices (user_id, amount) SELECT id, 1 FROM public.users WHERE email = 'after-rollback@example.com'");

      // DDL on A after setup is drift that blocks cutover 2
      assertTrue(SchemaDrift.between(atSetup, SchemaFingerprint.of(src)).none());
      exec(src, "ALTER TABLE public.events ADD COLUMN source text");
      SchemaDrift drift = SchemaDrift.between(atSetup, SchemaFingerprint.of(src));
      assertTrue(drift.blocksCutover());
      assertEquals(List.of("public.events column source text"), drift.added(), drift.warning());
    }
  }
}
