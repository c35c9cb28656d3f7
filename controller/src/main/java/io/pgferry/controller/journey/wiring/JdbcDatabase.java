package io.pgferry.controller.journey.wiring;

import io.pgferry.common.Lsn;
import io.pgferry.common.Secrets;
import io.pgferry.common.pg.ConnectionLimits;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.SourceDatabase;
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
  public java.util.Optional<Lsn> switchWal() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("SET default_transaction_read_only = off"); // the fence made new sessions read-only
      try (ResultSet rs = s.executeQuery("SELECT pg_switch_wal()::text")) {
        rs.next();
        return java.util.Optional.of(Lsn.parse(rs.getString(1)));
      }
    } catch (SQLException e) {
      if ("42501".equals(e.getSQLState())) {
        return java.util.Optional.empty();
      }
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
