package io.pgferry.controller.sql.copy;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import java.sql.Connection;
import java.sql.SQLException;
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

  /** Creates the slot (it must not exist) with pgoutput and holds the connection that exported its snapshot. */
  public static ExportedSnapshot create(PgEndpoint publisher, String slot) throws SQLException {
    PgEndpoint repl = publisher.withParams(Map.of("replication", "database", "preferQueryMode", "simple",
        "assumeMinServerVersion", "10"));
    Connection c = repl.connect(Purpose.COPY);
    try {
      ReplicationSlotInfo info = c.unwrap(PGConnection.class).getReplicationAPI().createReplicationSlot().logical()
          .withSlotName(slot).withOutputPlugin("pgoutput").make();
      if (info.getSnapshotName() == null) {
        throw new SQLException("CREATE_REPLICATION_SLOT " + slot + " exported no snapshot");
      }
      ExportedSnapshot s = new ExportedSnapshot(slot, info.getSnapshotName(), String.valueOf(info.getConsistentPoint()), c);
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
