package io.pgferry.controller.sql;

import java.util.List;

/**
 * One capability that changes a database: {@link #describe()} says exactly what it will run (for {@code pgferry
 * plan}; secrets shown as ***) and touches nothing; {@link #run()} checks "already done?" first, so running it
 * again after a crash has the effect of running it once. Blocking: call from a worker thread.
 */
public interface SqlAction<R> {
  List<String> describe();

  R run() throws Exception;
}
