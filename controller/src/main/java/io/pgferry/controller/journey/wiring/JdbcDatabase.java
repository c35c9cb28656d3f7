package io.pgferry.controller.journey.wiring;

import io.pgferry.common.Lsn;
import io.pgferry.common.Secrets;
import io.pgferry.common.pg.ConnectionLimits;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.SourceDatabase;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.pg.LinkTls;
import io.pgferry.controller.sql.SegmentCloser;
import io.pgferry.controller.sql.ServerReadings;
import io.pgferry.controller.sql.TypeUsage;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A database reached over JDBC from a postgres:// URL or a libpq key=value string, given as a secret reference
 * (resolved when used, never stored). Read-only probes (purpose PROBE); connects per call.
 */
public final class JdbcDatabase implements SourceDatabase {
  private final String ref;
  private final String what;
  private final ConnectionLimits limits;
  private final LinkTls.Choice tls;

  public JdbcDatabase(String ref, String what, ConnectionLimits limits) {
    this(ref, what, limits, new LinkTls.Choice("", "", "", false));
  }

  /** {@code tls}: the plan's sslmode/sslrootcert for this database ({@link LinkTls}). */
  public JdbcDatabase(String ref, String what, ConnectionLimits limits, LinkTls.Choice tls) {
    this.ref = ref;
    this.what = what;
    this.limits = limits;
    this.tls = tls;
  }

  @Override
  public int serverVersionNum() throws SQLException {
    return withConnection(ServerReadings::versionNum);
  }

  @Override
  public Lsn currentWalLsn() throws SQLException {
    return withConnection(ServerReadings::currentWalLsn);
  }

  @Override
  public SegmentCloser.Closed closeSegment() throws SQLException {
    return withConnection(SegmentCloser::close);
  }

  @Override
  public List<TypeUsage.UsedType> typesUsedByTables() throws SQLException {
    return withConnection(TypeUsage::read);
  }

  @Override
  public String describe() {
    return what + " (" + Secrets.redact(ref) + ")";
  }

  private interface Work<T> {
    T on(Connection c) throws SQLException;
  }

  /** One connection per call; errors name the database, never a secret. */
  private <T> T withConnection(Work<T> work) throws SQLException {
    try (Connection c = connect()) {
      return work.on(c);
    } catch (SQLException e) {
      throw new SQLException(what + ": " + Secrets.redact(e.getMessage()), e.getSQLState(), e);
    }
  }

  private Connection connect() throws SQLException {
    return LinkTls.apply(Endpoints.parse(ref, what), tls).withLimits(limits).connect(Purpose.PROBE);
  }
}
