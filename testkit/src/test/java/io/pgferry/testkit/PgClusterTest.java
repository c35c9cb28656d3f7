package io.pgferry.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PgClusterTest {

  @ParameterizedTest
  @ValueSource(ints = {11, 15, 17})
  void startsQueriesAndStopsEachMajorVersion(int major) {
    try (Workspace ws = Workspace.create("pgcluster"); PgCluster pg = PgCluster.start(ws, "pg" + major, major)) {
      assertEquals(String.valueOf(major), pg.queryValue("select current_setting('server_version_num')::int / 10000"));
      pg.execute("create table t(id int primary key)", "insert into t select generate_series(1, 10)");
      assertEquals("10", pg.queryValue("select count(*) from t"));
      assertEquals("logical", pg.queryValue("show wal_level"));
      pg.close();
      assertFalse(pg.isRunning(), "close() must stop the cluster");
      assertTrue(pg.log().contains("database system is shut down"), pg.log());
    }
  }
}
