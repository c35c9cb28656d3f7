package io.pgferry.controller.sql;

import io.pgferry.common.Lsn;
import java.util.List;

/**
 * The "writes stopped" rule of {@link DatabaseFence}, pure. Two samples {@code quietInterval} apart, each of: the
 * WAL insert position, the next transaction ID to be assigned (snapshot xmax), whether any other backend holds a
 * transaction ID, and the number of prepared transactions. Writes have stopped when, at both samples, no other
 * backend holds a transaction ID and there is no prepared transaction, and between them either the WAL position did
 * not move or no transaction ID was assigned. Every row change needs a transaction ID and its commit writes WAL, so
 * with no xid held at the first sample and none assigned afterwards, no row change can have committed in between or
 * be about to; WAL that moves without a new xid is maintenance (checkpoint records, running-xacts snapshots,
 * archive_timeout segment switches, hint-bit full-page images, sequence prefetch) and does not count.
 */
public final class WritesStopped {
  private WritesStopped() {}

  /** One look at the database's write activity. */
  public record Sample(Lsn lsn, long nextXid, List<String> xidHolders, int prepared) {
    public Sample {
      xidHolders = List.copyOf(xidHolders);
    }

    boolean clean() {
      return xidHolders.isEmpty() && prepared == 0;
    }
  }

  /** Have writes stopped between {@code previous} and {@code now}, taken {@code quietInterval} apart? */
  public static boolean between(Sample previous, Sample now) {
    boolean stillWal = now.lsn().equals(previous.lsn());
    boolean noNewXid = now.nextXid() == previous.nextXid();
    return previous.clean() && now.clean() && (stillWal || noNewXid);
  }

  /** What moved between the samples, for the error that says writes did not stop. */
  public static String activity(Sample previous, Sample now) {
    return "WAL " + previous.lsn() + " -> " + now.lsn() + ", next xid " + previous.nextXid() + " -> " + now.nextXid()
        + (now.xidHolders().isEmpty() ? "" : ", sessions holding a transaction ID: " + now.xidHolders())
        + (now.prepared() == 0 ? "" : ", " + now.prepared() + " prepared transaction(s)");
  }
}
