package io.pgferry.controller.journey.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Lsn;
import io.pgferry.common.pg.ConnectionLimits;
import io.pgferry.controller.sql.SegmentCloser;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** The source/target probes against a real PostgreSQL 15. */
class JdbcDatabaseTest {
  @Test
  void readsVersionAndWalPositionAndSwitchesWalOnlyWhenPermitted() {
    try (Workspace ws = Workspace.create("jdbc-db"); PgCluster pg = PgCluster.start(ws, "src", 15)) {
      pg.execute("CREATE ROLE app LOGIN PASSWORD 's3cret'", "CREATE DATABASE appdb OWNER app",
          "ALTER DATABASE appdb SET default_transaction_read_only = on");
      JdbcDatabase superuser = new JdbcDatabase(pg.url("appdb"), "source", ConnectionLimits.DEFAULTS);
      assertEquals(15, superuserVersion(superuser) / 10000);
      Lsn before = call(superuser::currentWalLsn);
      SegmentCloser.Closed switched = call(superuser::closeSegment);
      assertEquals(SegmentCloser.How.SWITCHED, switched.how(), "a superuser may switch WAL, even in a read-only database");
      assertTrue(switched.finalLsn().compareTo(before) >= 0);

      JdbcDatabase app = new JdbcDatabase("postgres://app:s3cret@127.0.0.1:" + pg.port() + "/appdb", "source", ConnectionLimits.DEFAULTS);
      assertTrue(call(app::currentWalLsn).isValid());
      assertEquals(SegmentCloser.How.FILLED_MESSAGE, call(app::closeSegment).how(),
          "pg_switch_wal is refused to a plain role: it fills the segment instead, in a read-only database too");

      JdbcDatabase conninfo = new JdbcDatabase("host=127.0.0.1 port=" + pg.port() + " dbname=appdb user=app"
          + " password=s3cret", "source", ConnectionLimits.DEFAULTS);
      assertEquals(15, superuserVersion(conninfo) / 10000);

      JdbcDatabase wrong = new JdbcDatabase("postgres://app:badpass@127.0.0.1:" + pg.port() + "/nosuchdb", "target", ConnectionLimits.DEFAULTS);
      SQLException e = assertThrows(SQLException.class, wrong::serverVersionNum);
      assertTrue(e.getMessage().startsWith("target: "), e.getMessage());
      assertFalse(e.getMessage().contains("badpass"), e.getMessage());
      assertFalse(wrong.describe().contains("badpass"), wrong.describe());
    }
  }

  interface Call<T> {
    T call() throws Exception;
  }

  static <T> T call(Call<T> c) {
    try {
      return c.call();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static int superuserVersion(JdbcDatabase db) {
    return call(db::serverVersionNum);
  }
}
