package io.pgferry.controller.sql;

import io.pgferry.common.Lsn;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Makes the source archive the WAL segment that holds its final position now, instead of after archive_timeout
 * (Heroku: 60 s). A superuser calls {@code pg_switch_wal()}. Heroku's app role may not, but it may write WAL, and a
 * segment is archived as soon as it is full: pgferry then fills the rest of the current segment with one WAL
 * record of exactly the remaining bytes and commits it (the commit flushes it). The record is a logical decoding
 * message ({@code pg_logical_emit_message}, executable by PUBLIC in stock PostgreSQL), which creates no object and is
 * ignored by everything but a decoder that asks for messages; where that function was revoked, the same bytes go into
 * a table created and dropped in one transaction. Measured on PostgreSQL 15 as a non-superuser: 0.1 s from the call
 * to the segment in the archive. When neither is permitted the segment ships within archive_timeout.
 *
 * <p>Call after the write fence, on a connection that may write ({@code default_transaction_read_only = off}).
 * Running it again writes at most one more segment: harmless.
 */
public final class SegmentCloser {
  /** Messages with this prefix are pgferry's filler; nothing decodes them. */
  public static final String MESSAGE_PREFIX = "pgferry-segment-fill";

  public enum How { SWITCHED, FILLED_MESSAGE, FILLED_TABLE, NOT_PERMITTED }

  /** What closed the segment that holds {@code finalLsn}, and how many bytes of WAL it took. */
  public record Closed(How how, Lsn finalLsn, long bytes) {
    public String sentence() {
      return switch (how) {
        case SWITCHED -> "pg_switch_wal() sent the last segment to the archive";
        case FILLED_MESSAGE -> "pg_switch_wal() not permitted: filled the last segment's remaining " + bytes
            + " bytes with one logical message, so it is archived now";
        case FILLED_TABLE -> "pg_switch_wal() and pg_logical_emit_message() not permitted: filled the last segment's"
            + " remaining " + bytes + " bytes through a table created and dropped in one transaction";
        case NOT_PERMITTED -> "pg_switch_wal() and filling the segment not permitted: the last segment ships within"
            + " archive_timeout";
      };
    }

    public boolean closedNow() {
      return how != How.NOT_PERMITTED;
    }
  }

  private static final String FILLER_TABLE = "pgferry_segment_fill";

  private SegmentCloser() {}

  public static List<String> describe() {
    return List.of("SET default_transaction_read_only = off; SELECT pg_switch_wal()  -- where permitted, else:",
        "SELECT pg_logical_emit_message(true, '" + MESSAGE_PREFIX + "', repeat('x', <bytes left in the current"
            + " segment>))  -- one record fills the segment, the commit flushes it and the archiver ships it at once",
        "  -- where that is revoked: BEGIN; CREATE TABLE " + FILLER_TABLE + " (b text) with STORAGE EXTERNAL; INSERT"
            + " <bytes left>; DROP TABLE " + FILLER_TABLE + "; COMMIT");
  }

  public static Closed close(Connection c) throws SQLException {
    c.setAutoCommit(true);
    Sql.execute(c, "SET default_transaction_read_only = off"); // the fence made new sessions read-only
    Lsn before = ServerReadings.currentWalLsn(c);
    if (permitted(c, "SELECT pg_switch_wal()")) {
      return new Closed(How.SWITCHED, before, 0);
    }
    long bytes = bytesLeftInSegment(c, before);
    if (permitted(c, "SELECT pg_logical_emit_message(true, '" + MESSAGE_PREFIX + "', repeat('x', " + bytes + "))")) {
      return new Closed(How.FILLED_MESSAGE, before, bytes);
    }
    if (fillThroughTable(c, bytes)) {
      return new Closed(How.FILLED_TABLE, before, bytes);
    }
    return new Closed(How.NOT_PERMITTED, before, 0);
  }

  /** The rest of the segment that holds {@code lsn}; a position on a boundary needs only a flush past it. */
  static long bytesLeftInSegment(Connection c, Lsn lsn) throws SQLException {
    long segment = Long.parseLong(Sql.value(c, "SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'"));
    long left = segment - Long.remainderUnsigned(lsn.value(), segment);
    return left == segment ? 1 : left;
  }

  private static boolean fillThroughTable(Connection c, long bytes) throws SQLException {
    c.setAutoCommit(false);
    try {
      Sql.execute(c, "CREATE TABLE " + FILLER_TABLE + " (b text)");
      Sql.execute(c, "ALTER TABLE " + FILLER_TABLE + " ALTER b SET STORAGE EXTERNAL"); // no compression: bytes = WAL
      Sql.execute(c, "INSERT INTO " + FILLER_TABLE + " SELECT repeat('x', " + bytes + ")");
      Sql.execute(c, "DROP TABLE " + FILLER_TABLE);
      c.commit();
      return true;
    } catch (SQLException e) {
      c.rollback();
      if (notPermitted(e)) {
        return false;
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private static boolean permitted(Connection c, String sql) throws SQLException {
    try {
      Sql.execute(c, sql);
      return true;
    } catch (SQLException e) {
      if (notPermitted(e)) {
        return false;
      }
      throw e;
    }
  }

  /** 42501 insufficient privilege; 25006 read-only transaction (a role pinned read-only by something else). */
  private static boolean notPermitted(SQLException e) {
    return "42501".equals(e.getSQLState()) || "25006".equals(e.getSQLState());
  }
}
