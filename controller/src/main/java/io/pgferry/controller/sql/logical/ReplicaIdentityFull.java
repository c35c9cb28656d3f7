package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/** ALTER TABLE ... REPLICA IDENTITY FULL on A for the tables the plan lists (those without a primary key). */
public final class ReplicaIdentityFull implements SqlAction<List<TableRef>> {
  private final PgEndpoint publisher;
  private final List<TableRef> tables;

  public ReplicaIdentityFull(PgEndpoint publisher, List<TableRef> tables) {
    this.publisher = publisher;
    this.tables = List.copyOf(tables);
  }

  @Override
  public List<String> describe() {
    return tables.stream().map(t -> "on " + publisher + ": ALTER TABLE " + t.sql() + " REPLICA IDENTITY FULL  -- unless already FULL").toList();
  }

  /** Returns the tables it changed (empty when all were FULL already). */
  @Override
  public List<TableRef> run() throws Exception {
    List<TableRef> changed = new ArrayList<>();
    try (Connection c = publisher.connect(Purpose.SCHEMA)) {
      for (TableRef t : tables) {
        String ident = Sql.value(c, "SELECT c.relreplident::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE n.nspname = ? AND c.relname = ?", t.schema(), t.name());
        if (ident == null) {
          throw new IllegalStateException("replica_identity_full: no table " + t + " on " + publisher);
        }
        if (!"f".equals(ident)) {
          Sql.execute(c, "ALTER TABLE " + t.sql() + " REPLICA IDENTITY FULL");
          changed.add(t);
        }
      }
    }
    return changed;
  }
}
