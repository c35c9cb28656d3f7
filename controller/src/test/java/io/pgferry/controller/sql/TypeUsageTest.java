package io.pgferry.controller.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;

class TypeUsageTest {
  @Test
  void listsExtensionEnumCompositeAndArrayElementTypesButNotBuiltInsOrDomains() throws Exception {
    try (Workspace ws = Workspace.create("types"); PgCluster pg = PgCluster.start(ws, "pg", 15);
         Connection c = pg.connect()) {
      Sql.execute(c, """
          CREATE EXTENSION hstore;
          CREATE SCHEMA shop;
          CREATE TYPE shop.mood AS ENUM ('ok', 'sad');
          CREATE TYPE shop.money_pair AS (amount numeric, currency text);
          CREATE DOMAIN shop.positive AS int CHECK (VALUE > 0);
          CREATE TYPE shop.unused AS ENUM ('x');
          CREATE TABLE shop.orders (id bigserial PRIMARY KEY, attrs hstore, moods shop.mood[], price shop.money_pair,
                                    qty shop.positive, note text, at timestamptz);
          """);
      List<String> found = TypeUsage.read(c).stream().map(TypeUsage.UsedType::toString)
          .map(s -> s.replaceAll("OID \\d+", "OID n")).toList();
      assertEquals(List.of("public.hstore (extension hstore, OID n)", "shop.money_pair (composite, OID n)",
          "shop.mood (enum, OID n)"), found);
    }
  }
}
