package io.pgferry.controller.journey;

import io.pgferry.common.Lsn;
import io.pgferry.controller.sql.SegmentCloser;
import io.pgferry.controller.sql.TypeUsage;
import java.util.List;

/** The source as far as pgferry can see it over SQL (Heroku: no superuser). Blocking; call from workers. */
public interface SourceDatabase extends DatabaseProbe {
  /** {@code SELECT pg_current_wal_lsn()}. */
  Lsn currentWalLsn() throws Exception;

  /**
   * Has the segment that holds the current position archived now instead of after archive_timeout: pg_switch_wal()
   * where permitted, else the segment filled by pgferry's session (Heroku: no superuser). See {@link SegmentCloser}.
   */
  SegmentCloser.Closed closeSegment() throws Exception;

  /** The non-built-in types the app's tables use (their OIDs differ on a logical copy). */
  List<TypeUsage.UsedType> typesUsedByTables() throws Exception;
}
