package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * VACUUM (ANALYZE) of every table of the app on T before cutover 2 blocks the app's writes (issue 15): the initial
 * copy and apply leave T without planner statistics and visibility maps, and an app switched onto an unanalyzed
 * database is the known cause of p99 blow-ups. Partitioned parents (no storage) get ANALYZE; their partitions are
 * tables of their own. Running it again only refreshes the statistics.
 */
public final class TargetAnalyze implements SqlAction<TargetAnalyze.Result> {
  /** What it did, in the journal's evidence (and so in the demo's report). */
  public record Result(int tables, double seconds) {
    public String sentence() {
      return String.format(Locale.ROOT, "VACUUM (ANALYZE) of %d table(s) on T took %.1f s", tables, seconds);
    }

    public Map<String, String> evidence() {
      Map<String, String> ev = new LinkedHashMap<>();
      ev.put("tables", String.valueOf(tables));
      ev.put("seconds", String.format(Locale.ROOT, "%.3f", seconds));
      return ev;
    }

    @Override
    public String toString() {
      return sentence();
    }
  }

  private final PgEndpoint target;

  public TargetAnalyze(PgEndpoint target) {
    this.target = target;
  }

  @Override
  public List<String> describe() {
    return List.of("on " + target + ": VACUUM (ANALYZE) <each table of the app> (ANALYZE for a partitioned parent)  -- before the app's"
        + " writes are blocked; planner statistics for the app's first queries on T; again only refreshes them");
  }

  @Override
  public Result run() throws Exception {
    long t0 = System.nanoTime();
    int n = 0;
    try (Connection c = target.connect(Purpose.COPY)) {
      for (Map<String, String> r : Sql.rows(c, "SELECT n.nspname, c.relname, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n"
          + " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND " + Sql.USER_SCHEMAS + " ORDER BY 1, 2")) {
        TableRef t = new TableRef(r.get("nspname"), r.get("relname"));
        Sql.execute(c, ("p".equals(r.get("kind")) ? "ANALYZE " : "VACUUM (ANALYZE) ") + t.sql());
        n++;
      }
    }
    return new Result(n, (System.nanoTime() - t0) / 1e9);
  }
}
