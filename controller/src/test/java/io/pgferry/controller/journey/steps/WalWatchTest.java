package io.pgferry.controller.journey.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.controller.sql.logical.PublishedTables;
import io.pgferry.controller.sql.slots.SlotWal;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A primary with a tiny max_slot_wal_keep_size and a logical slot nobody consumes: writes and checkpoints make
 * PostgreSQL invalidate the slot, SlotWal sees it lost, and the sync wait's message names the tables to re-sync.
 */
class WalWatchTest {
  @Test
  void aSlotInvalidatedByMaxSlotWalKeepSizeIsSeenLostAndTheTablesToResyncAreNamed() throws Exception {
    try (Workspace ws = Workspace.create("wal-lost");
         PgCluster pg = PgCluster.init(ws, "a", PgBinaries.debian(15), Map.of("max_slot_wal_keep_size", "1MB")).start();
         Connection c = pg.connect()) {
      Sql.execute(c, "CREATE TABLE shop_orders (id int PRIMARY KEY, note text)");
      Sql.execute(c, "SELECT pg_create_logical_replication_slot('pgferry_sub', 'pgoutput')");
      SlotWal.Slot before = SlotWal.find(SlotWal.read(c), "pgferry_sub").orElseThrow();
      assertEquals("reserved", before.walStatus());
      assertTrue(before.safeWalBytes().isPresent(), "a limit is set: safe_wal_size is known");

      for (int i = 0; i < 4 && !SlotWal.find(SlotWal.read(c), "pgferry_sub").orElseThrow().lost(); i++) {
        Sql.execute(c, "INSERT INTO shop_orders SELECT g + " + i * 100000 + ", repeat('x', 200) FROM generate_series(1, 20000) g");
        Sql.execute(c, "SELECT pg_switch_wal()");
        Sql.execute(c, "INSERT INTO shop_orders VALUES (" + (-1 - i) + ", 'next segment')");
        Sql.execute(c, "SELECT pg_switch_wal()");
        Sql.execute(c, "CHECKPOINT");
      }
      SlotWal.Slot after = SlotWal.find(SlotWal.read(c), "pgferry_sub").orElseThrow();
      assertTrue(after.lost(), "wal_status " + after.walStatus());

      String message = WalWatch.lostMessage("a", LogicalNames.DEFAULT, PublishedTables.list(c));
      assertTrue(message.contains("shop_orders") && message.contains("wal_status = 'lost'")
          && message.contains("DROP SUBSCRIPTION pgferry_sub"), message);
    }
  }

  @Test
  void logicalSetupRefusesADiskSmallerThanTheDatabaseWithoutALimitAndWarnsWhenLow() throws Exception {
    long gib = 1L << 30;
    Plan.WalSafety unlimited = new Plan.WalSafety(null, null, null);
    String refused = org.junit.jupiter.api.Assertions.assertThrows(JourneyException.class,
        () -> WalWatch.diskVerdict("a", unlimited, 5 * gib, 100 * gib, 8 * gib)).getMessage();
    assertTrue(refused.contains("no wal_safety.max_slot_wal_keep_size"), refused);
    String limited = WalWatch.diskVerdict("a", new Plan.WalSafety("4GB", null, null), 5 * gib, 100 * gib, 8 * gib);
    assertTrue(limited.contains("max_slot_wal_keep_size 4GB") && limited.contains("WARNING: under wal_safety.warn_free_below_percent"), limited);
    assertEquals(false, WalWatch.diskVerdict("a", unlimited, 50 * gib, 100 * gib, 8 * gib).contains("WARNING"));
  }
}
