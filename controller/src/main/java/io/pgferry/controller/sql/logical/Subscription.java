package io.pgferry.controller.sql.logical;

import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.SqlAction;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * CREATE SUBSCRIPTION on the subscriber, connecting to the publisher as the replication role (its password is
 * stored in pg_subscription, readable by superusers only; shown as *** everywhere else). Done already when a
 * subscription of that name exists in the subscriber's database.
 *
 * @param publisherAsSeenBySubscriber host/port/dbname the subscriber reaches the publisher at, user = the
 *     replication role, password = its secret
 * @param copyData true for A -> T (initial copy), false for the reverse T -> A (A already has every row)
 * @param failover PG 17 failover slot (both sides must be 17+)
 */
public final class Subscription implements SqlAction<Boolean> {
  private final PgEndpoint subscriber;
  private final PgEndpoint publisherAsSeenBySubscriber;
  private final String name;
  private final String slot;
  private final String publication;
  private final boolean copyData;
  private final boolean failover;
  private boolean existingSlot;
  /** {@link ApplyOptions} choose streaming/binary, with the publisher's major version (0: unknown). */
  private boolean applyOptionsAsked;
  private int publisherMajor;
  private ApplyOptions.Choice applyOptions;

  public Subscription(PgEndpoint subscriber, PgEndpoint publisherAsSeenBySubscriber, String name, String slot, String publication,
                      boolean copyData, boolean failover) {
    this.subscriber = subscriber;
    this.publisherAsSeenBySubscriber = publisherAsSeenBySubscriber;
    this.name = name;
    this.slot = slot;
    this.publication = publication;
    this.copyData = copyData;
    this.failover = failover;
  }

  /**
   * The same subscription on a slot that exists already (created with the snapshot the initial copy used,
   * io.pgferry.controller.sql.copy.SnapshotCopy): copy_data = false, create_slot = false, so apply starts at the slot's point.
   */
  public Subscription onExistingSlot() {
    Subscription s = new Subscription(subscriber, publisherAsSeenBySubscriber, name, slot, publication, false, failover);
    s.existingSlot = true;
    s.applyOptionsAsked = applyOptionsAsked;
    s.publisherMajor = publisherMajor;
    return s;
  }

  /**
   * Lets {@link ApplyOptions} add streaming = parallel and binary = true where the versions and types allow them;
   * {@code publisherMajor} 0: unknown (no binary; `pgferry plan`, which asks no server, describes the rule).
   */
  public Subscription withApplyOptions(int publisherMajor) {
    this.applyOptionsAsked = true;
    this.publisherMajor = publisherMajor;
    return this;
  }

  /** The apply options {@link #run()} created the subscription with, or found on it; null when not asked or not run. */
  public ApplyOptions.Choice applyOptions() {
    return applyOptions;
  }

  private String shown() {
    PgEndpoint p = publisherAsSeenBySubscriber;
    return createSql(p.password() == null ? p : p.withUser(p.user(), "***"));
  }

  private String redact(String text) {
    String pw = publisherAsSeenBySubscriber.password();
    String out = pw == null || pw.isEmpty() || text == null ? text : text.replace(pw, "***");
    return Secrets.redact(out);
  }

  String createSql(PgEndpoint publisher) {
    List<String> with = new ArrayList<>(List.of("copy_data = " + copyData, "create_slot = " + !existingSlot,
        "slot_name = " + Sql.literal(slot)));
    if (existingSlot) {
      with.add("enabled = true");
    }
    if (failover) {
      with.add("failover = true");
    }
    if (applyOptions != null) {
      with.addAll(applyOptions.with());
    }
    return "CREATE SUBSCRIPTION " + Sql.ident(name) + " CONNECTION " + Sql.literal(publisher.conninfo(true))
        + " PUBLICATION " + Sql.ident(publication) + " WITH (" + String.join(", ", with) + ")";
  }

  @Override
  public List<String> describe() {
    return List.of("on " + subscriber + ": " + shown() + "  -- unless subscription " + name + " exists"
        + (failover ? "; failover needs PostgreSQL 17+ on both sides" : "")
        + (applyOptionsAsked ? "; " + ApplyOptions.describe() : ""));
  }

  /** True when it created the subscription. */
  @Override
  public Boolean run() throws Exception {
    try (Connection c = subscriber.connect(Purpose.SCHEMA)) {
      if (exists(c, name)) {
        if (applyOptionsAsked) {
          applyOptions = ApplyOptions.read(c, name);
        }
        return false;
      }
      if (failover) {
        int subMajor = Sql.serverMajor(c);
        int pubMajor;
        try (Connection p = publisherAsSeenBySubscriber.connect(Purpose.SCHEMA)) {
          pubMajor = Sql.serverMajor(p);
        } catch (SQLException e) {
          pubMajor = 0;
        }
        if (subMajor < 17 || (pubMajor != 0 && pubMajor < 17)) {
          throw new UsageException("subscription " + name + ": failover = true needs PostgreSQL 17+ on both sides (subscriber " + subMajor
              + ", publisher " + (pubMajor == 0 ? "unknown" : pubMajor) + "); turn logical failover slots off in the plan");
        }
      }
      if (applyOptionsAsked) {
        applyOptions = ApplyOptions.choose(c, publisherMajor);
      }
      try {
        Sql.execute(c, createSql(publisherAsSeenBySubscriber));
      } catch (SQLException e) {
        throw new SQLException(redact(e.getMessage()), e.getSQLState()); // no cause: its text may hold the conninfo
      }
      return true;
    }
  }

  /**
   * Errors of the subscription's apply and table sync workers so far (pg_stat_subscription_stats, PostgreSQL 15+;
   * 0 before): a statement they cannot apply fails them again and again, and only the subscriber's log says why.
   */
  public static long workerErrors(Connection t, String name) throws SQLException {
    if (Sql.serverMajor(t) < 15) {
      return 0;
    }
    String n = Sql.value(t, "SELECT (apply_error_count + sync_error_count)::text FROM pg_stat_subscription_stats WHERE subname = ?", name);
    return n == null ? 0 : Long.parseLong(n);
  }

  static boolean exists(Connection c, String name) throws SQLException {
    return Sql.exists(c, "SELECT 1 FROM pg_subscription WHERE subname = ? "
        + "AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())", name);
  }
}
