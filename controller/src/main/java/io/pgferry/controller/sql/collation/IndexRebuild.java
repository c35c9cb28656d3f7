package io.pgferry.controller.sql.collation;

import io.pgferry.common.pg.SqlQuote;
import io.pgferry.controller.sql.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.function.Consumer;

/** REINDEX INDEX of each index the collation check named for rebuilding (on A after its promotion, writes blocked). */
public final class IndexRebuild {
  private IndexRebuild() {}

  /** What {@link #rebuild} runs, for `pgferry plan`: {@code where} names the node and role, {@code namedBy} the check's step. */
  public static List<String> describe(String where, String namedBy) {
    return List.of(where + ": REINDEX INDEX <each index " + namedBy + " named for rebuilding> (none: nothing runs)");
  }

  /** Rebuilds {@code indexes} (regclass text) one by one; {@code progress} hears each statement as it starts. */
  public static void rebuild(Connection c, List<String> indexes, Consumer<String> progress) throws SQLException {
    for (String index : indexes) {
      progress.accept("REINDEX INDEX " + index);
      Sql.execute(c, "REINDEX INDEX " + qualified(index));
    }
  }

  /** regclass text as PostgreSQL printed it (already quoted where needed): only checked to be one name, maybe qualified. */
  static String qualified(String regclassText) {
    if (!regclassText.matches("(\"([^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)(\\.(\"([^\"]|\"\")+\"|[a-z_][a-z0-9_$]*))?")) {
      throw new IllegalArgumentException("not an index name: " + SqlQuote.literal(regclassText));
    }
    return regclassText;
  }
}
