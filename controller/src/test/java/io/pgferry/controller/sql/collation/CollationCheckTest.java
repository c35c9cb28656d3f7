package io.pgferry.controller.sql.collation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.sql.Sql;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An index sorted under one collation whose catalog then says another (what a restore onto a host with a different
 * C library amounts to): amcheck finds it, the version comparison names the collation, C indexes are not checked.
 */
class CollationCheckTest {
  private static final String SETUP = """
      CREATE COLLATION sorted_elsewhere (provider = icu, locale = 'und');
      CREATE TABLE words (w text COLLATE "C", code text COLLATE "C");
      INSERT INTO words SELECT x, x FROM unnest(ARRAY['a', 'B', 'b', 'A', 'c', 'C', 'aa', 'Ab', 'bA', 'Z', 'z']) AS x,
                                          generate_series(1, 50);
      CREATE INDEX words_w ON words (w);
      CREATE INDEX words_code ON words (code);
      CREATE TABLE fine (t text COLLATE sorted_elsewhere PRIMARY KEY);
      INSERT INTO fine VALUES ('a'), ('B'), ('b');
      """;

  /** The catalog copy now claims words_w (built in C order) is sorted under sorted_elsewhere, whose version changed. */
  private static final String SWAP = """
      UPDATE pg_index SET indcollation = (SELECT oid::text FROM pg_collation WHERE collname = 'sorted_elsewhere')::oidvector
       WHERE indexrelid = 'words_w'::regclass;
      UPDATE pg_attribute SET attcollation = (SELECT oid FROM pg_collation WHERE collname = 'sorted_elsewhere')
       WHERE attrelid = 'words_w'::regclass;
      UPDATE pg_collation SET collversion = '0.1-on-the-source' WHERE collname = 'sorted_elsewhere';
      """;

  @Test
  void amcheckFindsAnIndexSortedUnderAnotherCollationOrder() throws Exception {
    try (Workspace ws = Workspace.create("collation"); PgCluster pg = PgCluster.start(ws, "pg", 15);
         Connection c = pg.connect()) {
      Sql.execute(c, SETUP + SWAP + "CREATE EXTENSION amcheck;");
      CollationReport r = new CollationCheck(null, Clock.systemUTC()).check(c);

      assertTrue(r.amcheck());
      assertEquals(List.of("fine_pkey", "words_w"), r.atRisk(), "C indexes are not at risk: " + r.summary());
      assertEquals(List.of("words_w"), r.broken().stream().map(CollationReport.Broken::index).toList(), r.summary());
      assertTrue(r.mismatched().contains("sorted_elsewhere"), r.summary());
      assertFalse(r.clean());
      assertEquals(List.of("words_w"), r.toReindex());
    }
  }

  @Test
  void withoutAmcheckAChangedVersionPutsEveryIndexAtRiskUpForRebuilding() throws Exception {
    try (Workspace ws = Workspace.create("collation-noam"); PgCluster pg = PgCluster.start(ws, "pg", 15);
         Connection c = pg.connect()) {
      Sql.execute(c, SETUP + SWAP);
      CollationReport r = new CollationCheck(null, Clock.systemUTC()).check(c);

      assertFalse(r.amcheck());
      assertTrue(r.broken().isEmpty());
      assertFalse(r.clean(), r.summary());
      assertEquals(List.of("fine_pkey", "words_w"), r.toReindex());
      assertTrue(r.summary().contains("amcheck is not installed"), r.summary());
    }
  }

  @Test
  void aCleanDatabaseIsClean() throws Exception {
    try (Workspace ws = Workspace.create("collation-ok"); PgCluster pg = PgCluster.start(ws, "pg", 15);
         Connection c = pg.connect()) {
      Sql.execute(c, SETUP + "CREATE EXTENSION amcheck;");
      CollationReport r = new CollationCheck(null, Clock.systemUTC()).check(c);
      assertTrue(r.clean(), r.summary());
      assertEquals(List.of("fine_pkey"), r.atRisk());
    }
  }
}
