package io.pgferry.controller.sql.sequences;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sets every sequence of the destination (owned by serial columns, behind identity columns, free-standing; every
 * user schema) to the origin's exact {@code last_value}/{@code is_called}, read from the sequence relation itself
 * (works on every version; pg_sequences hides last_value when is_called is false). Never max(id)+N. Only the
 * sequences that differ are set, in one transaction, then read back. Run at cutover 2 while writes are blocked
 * (A -> T), or back (T -> A) on rollback.
 */
public final class SequenceSync implements SqlAction<SequenceReport> {
  private final PgEndpoint origin;
  private final PgEndpoint destination;

  public SequenceSync(PgEndpoint origin, PgEndpoint destination) {
    this.origin = origin;
    this.destination = destination;
  }

  @Override
  public List<String> describe() {
    return List.of(
        "on " + origin + " and " + destination + ": SELECT last_value, is_called FROM <each sequence> (relkind 'S' in every user schema)",
        "on " + destination + ", one transaction: SELECT setval('<sequence>', <origin's last_value>, <origin's is_called>) for each that differs");
  }

  /** Reads both sides and compares, changing nothing. */
  public SequenceReport check() throws SQLException {
    Map<TableRef, SequenceState> from = read(origin);
    Map<TableRef, SequenceState> to = read(destination);
    List<String> missing = new ArrayList<>();
    int mismatched = 0;
    for (SequenceState s : from.values()) {
      SequenceState there = to.get(s.sequence());
      if (there == null) {
        missing.add(s.sequence().toString());
      } else if (there.lastValue() != s.lastValue() || there.isCalled() != s.isCalled()) {
        mismatched++;
      }
    }
    return new SequenceReport(from.size(), List.of(), missing, mismatched);
  }

  @Override
  public SequenceReport run() throws SQLException {
    Map<TableRef, SequenceState> from = read(origin);
    List<String> set = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    try (Connection c = destination.connect(Purpose.SEQUENCES)) {
      c.setAutoCommit(false);
      Map<TableRef, SequenceState> to = read(c);
      try (PreparedStatement ps = c.prepareStatement("SELECT setval(?::regclass, ?, ?)")) {
        for (SequenceState s : from.values()) {
          SequenceState there = to.get(s.sequence());
          if (there == null) {
            missing.add(s.sequence().toString());
          } else if (there.lastValue() != s.lastValue() || there.isCalled() != s.isCalled()) {
            ps.setString(1, s.sequence().sql());
            ps.setLong(2, s.lastValue());
            ps.setBoolean(3, s.isCalled());
            ps.executeQuery().close();
            set.add(there + " -> " + s.lastValue() + (s.isCalled() ? "" : " (not called)"));
          }
        }
      }
      c.commit();
      Map<TableRef, SequenceState> after = read(c);
      int mismatched = 0;
      for (SequenceState s : from.values()) {
        SequenceState there = after.get(s.sequence());
        if (there != null && (there.lastValue() != s.lastValue() || there.isCalled() != s.isCalled())) {
          mismatched++;
        }
      }
      c.commit();
      return new SequenceReport(from.size(), set, missing, mismatched);
    }
  }

  public static Map<TableRef, SequenceState> read(PgEndpoint endpoint) throws SQLException {
    try (Connection c = endpoint.connect(Purpose.SEQUENCES)) {
      return read(c);
    }
  }

  static Map<TableRef, SequenceState> read(Connection c) throws SQLException {
    Map<TableRef, SequenceState> out = new LinkedHashMap<>();
    for (Map<String, String> r : Sql.rows(c, "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE c.relkind = 'S' AND " + Sql.USER_SCHEMAS + " ORDER BY 1, 2")) {
      TableRef seq = new TableRef(r.get("nspname"), r.get("relname"));
      Map<String, String> v = Sql.rows(c, "SELECT last_value, is_called FROM " + seq.sql()).get(0);
      out.put(seq, new SequenceState(seq, Long.parseLong(v.get("last_value")), "t".equals(v.get("is_called"))));
    }
    return out;
  }
}
