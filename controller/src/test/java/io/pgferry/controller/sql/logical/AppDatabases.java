package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.testkit.PgCluster;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.Callable;

/** Test helpers: an "app" database on a cluster, the seed's app schema, polling with a deadline. */
final class AppDatabases {
  private AppDatabases() {}

  static PgEndpoint appDb(PgCluster cluster) {
    cluster.execute("CREATE DATABASE app");
    return new PgEndpoint(cluster.host(), cluster.port(), "app", "postgres", null);
  }

  static void exec(PgEndpoint db, String... sql) throws Exception {
    try (Connection c = db.connect(Purpose.ADMIN)) {
      for (String s : sql) {
        Sql.execute(c, s);
      }
    }
  }

  static String value(PgEndpoint db, String sql) throws Exception {
    try (Connection c = db.connect(Purpose.ADMIN)) {
      return Sql.value(c, sql);
    }
  }

  static void until(Duration timeout, String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      Thread.sleep(100);
    }
  }
}
