package io.pgferry.controller.sql.logical;

import io.pgferry.common.Deadline;
import io.pgferry.common.Lsn;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * "Has the subscriber applied everything up to the publisher's LSN X?": the slot's confirmed_flush_lsn on the
 * publisher (what the subscriber confirmed as applied and flushed), or, without the slot, the subscription's
 * latest_end_lsn on the subscriber. X is taken after a logical message (see {@link #publisherLsn()}), so the
 * subscriber confirms it without waiting for its periodic status.
 */
public final class CatchUp {
  public record Result(Lsn target, Lsn applied, Duration waited) {}

  private final PgEndpoint publisher;
  private final PgEndpoint subscriber;
  private final LogicalNames names;

  public CatchUp(PgEndpoint publisher, PgEndpoint subscriber, LogicalNames names) {
    this.publisher = publisher;
    this.subscriber = subscriber;
    this.names = names;
  }

  public List<String> describe() {
    return List.of("on " + publisher + ": SELECT pg_logical_emit_message(true, 'pgferry', 'catch-up'); SELECT pg_current_wal_lsn()"
            + "  -- the target LSN, read once writes are blocked (the message gives T a transaction to confirm)",
        "poll on " + publisher + ": SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + names.slot()
            + "' (or on " + subscriber + ": latest_end_lsn FROM pg_stat_subscription WHERE subname = '" + names.subscription() + "') until >= the target");
  }

  /**
   * The target: the publisher's WAL position after a transactional logical message written in the published
   * database. Once writes are fenced the last WAL may hold nothing the slot decodes (catalog changes in another
   * database, the fence's own ALTERs): then the subscriber learns the end of WAL only from keepalives and confirms
   * it with its next periodic status (wal_receiver_status_interval, 10 s by default; seen as a 9 s wait on PG 11).
   * The message's commit is decoded and applied like any transaction, so the confirmation follows at once.
   */
  public Lsn publisherLsn() throws SQLException {
    try (Connection c = publisher.connect(Purpose.CATCH_UP); Statement st = c.createStatement()) {
      st.execute("SET default_transaction_read_only = off"); // the fence makes new sessions in the database read-only
      st.execute("SET synchronous_commit = local"); // not held by a synchronous standby that may be gone
      st.execute("SELECT pg_logical_emit_message(true, 'pgferry', 'catch-up')");
      return Lsn.parse(Sql.value(c, "SELECT pg_current_wal_lsn()"));
    }
  }

  /** The position the subscriber has confirmed applying (INVALID when neither the slot nor the subscription says). */
  public Lsn applied() throws SQLException {
    try (Connection c = publisher.connect(Purpose.CATCH_UP)) {
      String confirmed = Sql.value(c, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = ?", names.slot());
      if (confirmed != null) {
        return Lsn.parse(confirmed);
      }
    }
    try (Connection c = subscriber.connect(Purpose.CATCH_UP)) {
      return Lsn.parse(Sql.value(c, "SELECT max(latest_end_lsn)::text FROM pg_stat_subscription WHERE subname = ?", names.subscription()));
    }
  }

  public boolean reached(Lsn target) throws SQLException {
    return applied().compareTo(target) >= 0;
  }

  /** Polls until the subscriber has applied {@code target}; a TimeoutException says how far it got. */
  public Result waitFor(Lsn target, Duration timeout, Duration poll) throws SQLException, TimeoutException, InterruptedException {
    long start = System.nanoTime();
    Lsn[] applied = new Lsn[1];
    try {
      Poll.untilTrue(Deadline.in(timeout), poll, "subscription " + names.subscription() + " to apply " + target,
          () -> {
            applied[0] = applied();
            return applied[0].compareTo(target) >= 0;
          });
      return new Result(target, applied[0], Duration.ofNanos(System.nanoTime() - start));
    } catch (Poll.Timeout e) {
      throw new TimeoutException("subscription " + names.subscription() + " applied up to " + applied[0] + ", not " + target + " after "
          + timeout.toSeconds() + " s (" + target.bytesAfter(applied[0]) + " bytes behind)");
    }
  }
}
