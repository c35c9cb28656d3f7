package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import java.sql.Connection;
import java.util.List;
import java.util.stream.Collectors;

/** CREATE PUBLICATION on the publisher: FOR ALL TABLES, or FOR TABLE the listed ones. Done already when it exists. */
public final class Publication implements SqlAction<Boolean> {
  private final PgEndpoint publisher;
  private final String name;
  private final List<TableRef> tables;

  /** @param tables empty: FOR ALL TABLES */
  public Publication(PgEndpoint publisher, String name, List<TableRef> tables) {
    this.publisher = publisher;
    this.name = name;
    this.tables = List.copyOf(tables);
  }

  String createSql() {
    return "CREATE PUBLICATION " + Sql.ident(name) + (tables.isEmpty() ? " FOR ALL TABLES"
        : " FOR TABLE " + tables.stream().map(TableRef::sql).collect(Collectors.joining(", ")));
  }

  @Override
  public List<String> describe() {
    return List.of("on " + publisher + ": " + createSql() + "  -- unless publication " + name + " exists");
  }

  /** True when it created the publication. */
  @Override
  public Boolean run() throws Exception {
    try (Connection c = publisher.connect(Purpose.SCHEMA)) {
      if (Sql.exists(c, "SELECT 1 FROM pg_publication WHERE pubname = ?", name)) {
        return false;
      }
      Sql.execute(c, createSql());
      return true;
    }
  }
}
