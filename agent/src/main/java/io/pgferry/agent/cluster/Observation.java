package io.pgferry.agent.cluster;

import io.pgferry.common.Lsn;
import io.pgferry.proto.Replica;
import io.pgferry.proto.Slot;
import java.util.List;

/**
 * One look at the local PostgreSQL. Immutable; fields that do not apply (a primary has no receive LSN) are
 * {@link Lsn#INVALID}, -1 or empty.
 *
 * @param running   a live postmaster owns the data dir
 * @param reachable a query succeeded
 * @param walSenderTimeoutMs wal_sender_timeout (-1 unknown): on PG 11 a walsender row is at most this stale
 * @param error     why the last query failed ("" when it did not)
 */
public record Observation(
    long atNanos,
    boolean running,
    boolean reachable,
    int serverVersionNum,
    boolean inRecovery,
    int timeline,
    Lsn receiveLsn,
    Lsn replayLsn,
    Lsn currentLsn,
    long replayLagBytes,
    long replayLagMs,
    String walReceiverStatus,
    String upstream,
    List<Slot> slots,
    List<Replica> replicas,
    String syncStandbyNames,
    long walSenderTimeoutMs,
    String error) {

  public static Observation notRunning(long atNanos) {
    return unreachable(atNanos, false, "");
  }

  public static Observation unreachable(long atNanos, boolean running, String error) {
    return new Observation(atNanos, running, false, 0, false, 0, Lsn.INVALID, Lsn.INVALID, Lsn.INVALID, -1, -1, "", "",
        List.of(), List.of(), "", -1, error);
  }

  public int major() {
    return serverVersionNum / 10000;
  }
}
