package io.pgferry.controller.journey.wiring;

import io.pgferry.common.Lsn;
import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.controller.journey.SourceDatabase;
import io.pgferry.controller.sql.SegmentCloser;
import io.pgferry.controller.sql.TypeUsage;
import java.util.List;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * A database reached over JDBC from a postgres:// URL or a libpq key=value string, given as a secret reference
 * (resolved when used, never stored). Read-only probes; connects per call.
 */
public final class JdbcDatabase implements SourceDatabase {
  private final String ref;
  private final String what;

  public JdbcDatabase(String ref, String what) {
    this.ref = ref;
    this.what = what;
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
    return open(ref, what);
  }

  /** A connection named {@code pgferry} (the database fence spares pgferry's own sessions). */
  public static Connection open(String ref, String what) throws SQLException {
    Jdbc j = toJdbc(Secrets.resolve(ref, what));
    j.props().setProperty("connectTimeout", "10");
    j.props().setProperty("ApplicationName", "pgferry");
    return DriverManager.getConnection(j.url(), j.props());
  }

  /** Like {@link #open}, with the URL's host and port replaced (the same database's physical copy elsewhere). */
  public static Connection openAt(String ref, String what, String host, int port) throws SQLException {
    Jdbc j = toJdbc(Secrets.resolve(ref, what));
    String rest = j.url().substring(j.url().indexOf('/', "jdbc:postgresql://".length()));
    j.props().setProperty("connectTimeout", "10");
    j.props().setProperty("ApplicationName", "pgferry");
    return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + rest, j.props());
  }

  record Jdbc(String url, Properties props) {}

  /** postgres://user:pw@host:port/db?sslmode=require, or host=... port=... dbname=... user=... password=... */
  static Jdbc toJdbc(String conn) {
    Properties p = new Properties();
    if (conn.startsWith("postgres://") || conn.startsWith("postgresql://")) {
      URI u = URI.create(conn);
      if (u.getRawUserInfo() != null) {
        String[] ui = u.getRawUserInfo().split(":", 2);
        p.setProperty("user", decode(ui[0]));
        if (ui.length > 1) {
          p.setProperty("password", decode(ui[1]));
        }
      }
      if (u.getRawQuery() != null) {
        for (String kv : u.getRawQuery().split("&")) {
          String[] x = kv.split("=", 2);
          p.setProperty(decode(x[0]), x.length > 1 ? decode(x[1]) : "");
        }
      }
      int port = u.getPort() < 0 ? 5432 : u.getPort();
      String db = u.getPath() == null || u.getPath().length() <= 1 ? "postgres" : u.getPath().substring(1);
      return new Jdbc("jdbc:postgresql://" + u.getHost() + ":" + port + "/" + db, p);
    }
    String host = "localhost";
    String port = "5432";
    String db = "postgres";
    for (String kv : conn.trim().split("\\s+")) {
      String[] x = kv.split("=", 2);
      if (x.length != 2) {
        throw new UsageException("not a connection string (key=value ...): " + Secrets.redact(conn));
      }
      switch (x[0]) {
        case "host" -> host = x[1];
        case "port" -> port = x[1];
        case "dbname" -> db = x[1];
        default -> p.setProperty(x[0], x[1]);
      }
    }
    return new Jdbc("jdbc:postgresql://" + host + ":" + port + "/" + db, p);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
