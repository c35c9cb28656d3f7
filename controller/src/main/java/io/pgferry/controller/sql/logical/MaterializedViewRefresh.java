package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** REFRESH MATERIALIZED VIEW on T for every materialized view (logical replication carries no matview rows). */
public final class MaterializedViewRefresh implements SqlAction<List<TableRef>> {
  private final PgEndpoint target;

  public MaterializedViewRefresh(PgEndpoint target) {
    this.target = target;
  }

  @Override
  public List<String> describe() {
    return List.of("on " + target + ": REFRESH MATERIALIZED VIEW <each materialized view>  -- refreshing again has the same effect");
  }

  @Override
  public List<TableRef> run() throws Exception {
    List<TableRef> refreshed = new ArrayList<>();
    try (Connection c = target.connect(Purpose.COPY)) {
      for (Map<String, String> r : Sql.rows(c, "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          + "WHERE c.relkind = 'm' AND " + Sql.USER_SCHEMAS + " ORDER BY 1, 2")) {
        TableRef mv = new TableRef(r.get("nspname"), r.get("relname"));
        Sql.execute(c, "REFRESH MATERIALIZED VIEW " + mv.sql());
        refreshed.add(mv);
      }
    }
    return refreshed;
  }
}
