package io.pgferry.controller.sql.copy;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.common.pg.SqlQuote;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.PGConnection;
import org.postgresql.replication.ReplicationSlotInfo;

/**
 * A logical slot created over a replication connection ({@code CREATE_REPLICATION_SLOT ... LOGICAL pgoutput}, whose
 * default is to export a snapshot) and the connection that keeps the snapshot alive: it stays open and idle until
 * {@link #close()}, and other sessions import the snapshot with SET TRANSACTION SNAPSHOT meanwhile. Every row that
 * snapshot sees is before the slot's consistent point, every change after it is decoded by the slot: a copy under
 * the snapshot plus apply from the slot has no gap and no duplicate.
 *
 * <p>Held process-wide by slot name, so a step interrupted and retried in the same controller process finds the
 * snapshot still importable. A controller that dies takes the connection, and the snapshot, along.
 */
public final class ExportedSnapshot implements AutoCloseable {
  private static final Map<String, ExportedSnapshot> HELD = new ConcurrentHashMap<>();

  private final String slot;
  private final String name;
  private final String consistentPoint;
  private final Connection replication;

  private ExportedSnapshot(String slot, String name, String consistentPoint, Connection replication) {
    this.slot = slot;
    this.name = name;
    this.consistentPoint = consistentPoint;
    this.replication = replication;
  }

  /**
   * Creates the slot (it must not exist) with pgoutput and holds the connection that exported its snapshot;
   * {@code failover}: as a PostgreSQL 17 failover slot (pgjdbc's slot builder knows no FAILOVER option, so the
   * replication command is sent as it is).
   */
  public static ExportedSnapshot create(PgEndpoint publisher, String slot, boolean failover) throws SQLException {
    PgEndpoint repl = publisher.withParams(Map.of("replication", "database", "preferQueryMode", "simple",
        "assumeMinServerVersion", "10"));
    Connection c = repl.connect(Purpose.COPY);
    try {
      String snapshotName;
      String consistentPoint;
      if (failover) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("CREATE_REPLICATION_SLOT "
            + SqlQuote.ident(slot) + " LOGICAL pgoutput (SNAPSHOT 'export', FAILOVER true)")) {
          if (!rs.next()) {
            throw new SQLException("CREATE_REPLICATION_SLOT " + slot + " answered nothing");
          }
          consistentPoint = rs.getString("consistent_point");
          snapshotName = rs.getString("snapshot_name");
        }
      } else {
        ReplicationSlotInfo info = c.unwrap(PGConnection.class).getReplicationAPI().createReplicationSlot().logical()
            .withSlotName(slot).withOutputPlugin("pgoutput").make();
        snapshotName = info.getSnapshotName();
        consistentPoint = String.valueOf(info.getConsistentPoint());
      }
      if (snapshotName == null) {
        throw new SQLException("CREATE_REPLICATION_SLOT " + slot + " exported no snapshot");
      }
      ExportedSnapshot s = new ExportedSnapshot(slot, snapshotName, consistentPoint, c);
      ExportedSnapshot before = HELD.put(slot, s);
      if (before != null) {
        before.closeConnection();
      }
      return s;
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The snapshot this process still holds for {@code slot}, if its connection is open. */
  public static ExportedSnapshot held(String slot) {
    ExportedSnapshot s = HELD.get(slot);
    try {
      return s != null && !s.replication.isClosed() ? s : null;
    } catch (SQLException e) {
      return null;
    }
  }

  public String slot() {
    return slot;
  }

  /** The name SET TRANSACTION SNAPSHOT takes. */
  public String name() {
    return name;
  }

  /** The slot's consistent point: apply starts here. */
  public String consistentPoint() {
    return consistentPoint;
  }

  /** Ends the replication connection: the snapshot can no longer be imported (the slot stays). */
  @Override
  public void close() {
    HELD.remove(slot, this);
    closeConnection();
  }

  private void closeConnection() {
    try {
      replication.close();
    } catch (SQLException ignored) {
      // closing: nothing left to do with it
    }
  }
}
