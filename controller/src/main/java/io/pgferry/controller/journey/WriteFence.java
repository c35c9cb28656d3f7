package io.pgferry.controller.journey;

import io.pgferry.common.Lsn;
import io.pgferry.common.pg.PgEndpoint;
import java.util.List;

/**
 * Blocks writes at the database itself (the app switch alone does not stop Heroku workers, one-off dynos or old
 * preboot dynos). Implemented in io.pgferry.controller.sql by the database fence. Blocking; call from workers.
 */
public interface WriteFence {
  /**
   * Makes the database refuse writes ({@code default_transaction_read_only = on} for the database and the app role,
   * other sessions of that role ended), then confirms {@code pg_current_wal_lsn()} stops moving and returns it.
   * Idempotent.
   */
  Lsn fence() throws Exception;

  /** Undoes {@link #fence}. Idempotent; safe when not fenced. */
  void lift() throws Exception;

  boolean isFenced() throws Exception;

  /**
   * Lifts the fence on a physical copy of the fenced database at {@code host:port} (A after cutover 1): the fence is
   * a catalog change, so it reached the copy through the WAL. Same credentials as the fenced database. Idempotent.
   * Default: nothing (a fence that does not travel with the WAL).
   */
  default void liftOnCopy(String host, int port) throws Exception {}

  /**
   * Lifts it on the copy through {@code copy}'s session (with the certificate shape: the controller's certificate, as
   * the copy's bootstrap superuser; the source's credentials are refused there over TLS). Default: by host and port.
   */
  default void liftOnCopy(PgEndpoint copy) throws Exception {
    liftOnCopy(copy.host(), copy.port());
  }

  default List<String> describeLiftOnCopy(String where) {
    return List.of();
  }

  /** The exact SQL of fence and lift, for `pgferry plan`. */
  List<String> describeFence();

  List<String> describeLift();
}
