package io.pgferry.controller.sql.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A copy whose snapshot is gone starts afresh: the ledger empties the copied tables on T in one go even when the
 * builds beside the earlier copy added foreign keys between them (dropped, the next copy's builds add them again),
 * and forgets the items.
 */
class CopyLedgerTest {
  @Test
  void discardEmptiesTablesLinkedByForeignKeysAndDropsThoseKeys() throws Exception {
    try (Workspace ws = Workspace.create("copyledger"); PgCluster t = PgCluster.start(ws, "t", 15); Connection c = t.connect()) {
      for (String sql : List.of("CREATE SCHEMA shop", "CREATE TABLE shop.customers (id int PRIMARY KEY)",
          "CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int REFERENCES shop.customers)",
          "INSERT INTO shop.customers SELECT generate_series(1, 10)", "INSERT INTO shop.orders SELECT g, g FROM generate_series(1, 10) g")) {
        Sql.execute(c, sql);
      }
      CopyLedger.ensure(c);
      List<CopyItem> items = List.of(new CopyItem("shop.customers", new TableRef("shop", "customers"), "", 1, false),
          new CopyItem("shop.orders", new TableRef("shop", "orders"), "", 1, false));
      CopyLedger.record(c, "snap-1", items);

      CopyLedger.discard(c, CopyLedger.read(c));

      assertEquals("0 0", Sql.value(c, "SELECT (SELECT count(*) FROM shop.customers) || ' ' || (SELECT count(*) FROM shop.orders)"));
      assertEquals("0", Sql.value(c, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"), "the foreign key between them is dropped");
      assertEquals("2", Sql.value(c, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'shop'"), "the keys stay");
      assertEquals(0, CopyLedger.read(c).size());
    }
  }
}
