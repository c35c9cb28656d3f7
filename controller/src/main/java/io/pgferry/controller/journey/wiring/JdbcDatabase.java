package io.pgferry.controller.journey.wiring;

import io.pgferry.common.Lsn;
import io.pgferry.common.Secrets;
import io.pgferry.common.pg.ConnectionLimits;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.SourceDatabase;
import io.pgferry.controller.sql.SegmentCloser;
import io.pgferry.controller.sql.TypeUsage;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A database reached over JDBC from a postgres:// URL or a libpq key=value string, given as a secret reference
 * (resolved when used, never stored). Read-only probes (purpose PROBE); connects per call.
 */
public final class JdbcDatabase implements SourceDatabase {
  private final String ref;
  private final String what;
  private final ConnectionLimits limits;

  public JdbcDatabase(String ref, String what, ConnectionLimits limits) {
    this.ref = ref;
    this.what = what;
    this.limits = limits;
  }

  @Override
  public int serverVersionNum() throws SQLException {
    return Integer.parseInt(query("SELECT current_setting('server_version_num')"));
  }

  @Override
  public Lsn currentWalLsn() throws SQLException {
    return Lsn.parse(query("SELECT pg_current_wal_lsn()::text"));
  }

  @Override
  public SegmentCloser.Closed closeSegment() throws SQLException {
    try (Connection c = connect()) {
      return SegmentCloser.close(c);
    } catch (SQLException e) {
      throw new SQLException(what + ": " + Secrets.redact(e.getMessage()), e.getSQLState(), e);
    }
  }

  @Override
  public List<TypeUsage.UsedType> typesUsedByTables() throws SQLException {
    try (Connection c = connect()) {
      return TypeUsage.read(c);
    } catch (SQLException e) {
      throw new SQLException(what + ": " + Secrets.redact(e.getMessage()), e.getSQLState(), e);
    }
  }

  @Override
  public String describe() {
    return what + " (" + Secrets.redact(ref) + ")";
  }

  private String query(String sql) throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new SQLException(what + ": " + Secrets.redact(e.getMessage()), e.getSQLState(), e);
    }
  }

  private Connection connect() throws SQLException {
    return PgEndpoint.parse(Secrets.resolve(ref, what)).withLimits(limits).connect(Purpose.PROBE);
  }
}
