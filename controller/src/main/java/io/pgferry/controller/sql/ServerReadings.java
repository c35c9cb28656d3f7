package io.pgferry.controller.sql;

import io.pgferry.common.Lsn;
import java.sql.Connection;
import java.sql.SQLException;

/** One-value readings probes take of a server, each query's text in one place (descriptions quote it). Blocking. */
public final class ServerReadings {
  public static final String VERSION_NUM = "SELECT current_setting('server_version_num')";
  public static final String CURRENT_WAL_LSN = "SELECT pg_current_wal_lsn()::text";
  public static final String DATABASE_SIZE = "SELECT pg_database_size(current_database())";
  public static final String ROUND_TRIP = "SELECT 1";

  private ServerReadings() {}

  /** server_version_num, e.g. 150004. */
  public static int versionNum(Connection c) throws SQLException {
    return Integer.parseInt(Sql.value(c, VERSION_NUM));
  }

  /** The primary's current WAL write position. */
  public static Lsn currentWalLsn(Connection c) throws SQLException {
    return Lsn.parse(Sql.value(c, CURRENT_WAL_LSN));
  }

  /** The size in bytes of the database connected to. */
  public static long databaseSize(Connection c) throws SQLException {
    return Long.parseLong(Sql.value(c, DATABASE_SIZE));
  }

  /** One round trip and nothing else (a warm-up: the driver, TLS and authentication have done their work). */
  public static void roundTrip(Connection c) throws SQLException {
    Sql.execute(c, ROUND_TRIP);
  }
}
