package io.pgferry.controller.journey;

import io.pgferry.common.Lsn;
import java.util.Optional;

/** The source as far as pgferry can see it over SQL (Heroku: no superuser). Blocking; call from workers. */
public interface SourceDatabase extends DatabaseProbe {
  /** {@code SELECT pg_current_wal_lsn()}. */
  Lsn currentWalLsn() throws Exception;

  /**
   * {@code SELECT pg_switch_wal()} so the last segment is archived now instead of after archive_timeout; empty when
   * the role may not (Heroku: no superuser), which is normal.
   */
  Optional<Lsn> switchWal() throws Exception;
}
