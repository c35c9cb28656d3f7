package io.pgferry.controller.sql.logical;

import static io.pgferry.controller.sql.logical.AppDatabases.appDb;
import static io.pgferry.controller.sql.logical.AppDatabases.exec;
import static io.pgferry.controller.sql.logical.AppDatabases.until;
import static io.pgferry.controller.sql.logical.AppDatabases.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.UsageException;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A 17 source: pg_dump 15 cannot dump it, so the schema copy says so (and accepts a schema put in place by hand);
 * the subscription gets a PG 17 failover slot when asked, and refuses failover when a side is older; its apply options
 * by the versions and types (streaming = parallel and binary = true on 17, neither on a 15 subscriber), as journaled.
 */
class LogicalPg17Test {
  private static final String SCHEMA = "CREATE EXTENSION hstore; CREATE TABLE items (id bigserial PRIMARY KEY, tags hstore)";

  @Test
  void failoverSlotOn17AndAClearRefusalOfA17SchemaDump() throws Exception {
    try (Workspace ws = Workspace.create("logical-17"); PgCluster a = PgCluster.start(ws, "a", 17); PgCluster t = PgCluster.start(ws, "t", 17);
         PgCluster t15 = PgCluster.start(ws, "t15", 15)) {
      PgEndpoint src = appDb(a);
      PgEndpoint dst = appDb(t);
      PgEndpoint dst15 = appDb(t15);
      exec(src, SCHEMA, "INSERT INTO items (tags) SELECT hstore('n', g::text) FROM generate_series(1, 100) g");

      UsageException refused = assertThrows(UsageException.class, () -> new SchemaCopy(src, dst, null).run());
      assertTrue(refused.getMessage().contains("A runs PostgreSQL 17 but the pg_dump in /usr/lib/postgresql/15/bin is 15"), refused.getMessage());
      assertTrue(refused.getMessage().contains("unsupported on this host"), refused.getMessage());
      assertEquals("0", value(dst, "SELECT count(*) FROM pg_extension WHERE extname = 'hstore'"), "a refused copy changes nothing on T");

      exec(dst, SCHEMA); // the operator copied the schema with a pg_dump 17 elsewhere
      assertFalse(new SchemaCopy(src, dst, null).run().applied());

      new ReplicationRole(src, "pgferry_repl", "pw-17").run();
      new Publication(src, "pgferry_pub", List.of()).run();
      PgEndpoint repl = src.withUser("pgferry_repl", "pw-17");
      UsageException noFailover = assertThrows(UsageException.class,
          () -> new Subscription(dst15, repl, "pgferry_sub", "pgferry_sub", "pgferry_pub", true, true).run());
      assertTrue(noFailover.getMessage().contains("failover = true needs PostgreSQL 17+ on both sides (subscriber 15"), noFailover.getMessage());

      Subscription on17 = new Subscription(dst, repl, "pgferry_sub", "pgferry_sub", "pgferry_pub", true, true).withApplyOptions(17);
      assertTrue(on17.run());
      assertEquals("t", value(src, "SELECT failover::text FROM pg_replication_slots WHERE slot_name = 'pgferry_sub'").substring(0, 1));
      assertEquals("p true", value(dst, "SELECT substream::text || ' ' || subbinary::text FROM pg_subscription"),
          "streaming = parallel and binary = true: both sides 17, every column type (hstore too) has binary I/O");
      assertEquals("streaming=parallel binary=true", on17.applyOptions().sentence(), "what the step journals");
      assertFalse(on17.run());
      assertEquals("streaming=parallel binary=true (as found on the existing subscription)", on17.applyOptions().sentence());

      exec(dst15, SCHEMA);
      Subscription on15 = new Subscription(dst15, repl, "sub15", "sub15", "pgferry_pub", true, false).withApplyOptions(17);
      assertTrue(on15.run());
      assertEquals("streaming=off binary=false (T runs 15)", on15.applyOptions().sentence(), "a PostgreSQL 15 subscriber gets neither");
      assertEquals("false false", value(dst15, "SELECT substream::text || ' ' || subbinary::text FROM pg_subscription"));
      try (Connection c17 = dst.connect(Purpose.ADMIN)) {
        assertEquals("streaming=parallel binary=false (the publisher runs 15)", ApplyOptions.choose(c17, 15).sentence(),
            "binary needs a 16+ publisher too");
        Sql.execute(c17, "CREATE TABLE acl_note (id int PRIMARY KEY, acl aclitem)");
        assertEquals("streaming=parallel binary=false (no binary send/receive: aclitem)", ApplyOptions.choose(c17, 17).sentence());
        Sql.execute(c17, "DROP TABLE acl_note; CREATE DOMAIN acl_list AS aclitem[]; CREATE TABLE acl_notes (id int PRIMARY KEY, acls acl_list)");
        assertEquals("streaming=parallel binary=false (no binary send/receive: acl_list)", ApplyOptions.choose(c17, 17).sentence(),
            "nor has a domain over an array of aclitem");
      }
      SyncProgress progress = new SyncProgress(src, dst, LogicalNames.DEFAULT, Clock.systemUTC());
      until(Duration.ofSeconds(60), "sync on 17", () -> progress.snapshot().caughtUp(0));
      assertEquals("100", value(dst, "SELECT count(*) FROM items"));
    }
  }
}
