package io.pgferry.common;

import java.time.Duration;

/**
 * The timing both sides of the failsafe rule share (docs/failsafe.md). A PRIMARY whose lease ran out keeps serving
 * while its standby's last reply (pg_stat_replication.reply_time) is younger than {@link #STANDBY_REPLY_MAX_AGE};
 * the controller promotes that standby only once its WAL receiver has been down for {@link #window()}: by then the
 * old primary has seen the reply go stale and stopped PostgreSQL.
 */
public final class FailsafeTiming {
  private FailsafeTiming() {}

  /** The standby's wal_receiver_status_interval (set in its goal): how often it replies while WAL is idle. */
  public static final Duration STANDBY_STATUS_INTERVAL = Duration.ofSeconds(1);
  /** The agent's observation period (a reply age is read at most this long ago). */
  public static final Duration OBSERVE_EVERY = Duration.ofSeconds(1);
  /**
   * A reply older than this is no evidence: more than the standby's status interval plus one observation period
   * plus jitter, so a healthy standby never looks stale between two observations.
   */
  public static final Duration STANDBY_REPLY_MAX_AGE = Duration.ofSeconds(3);
  /** Stopping PostgreSQL fast (sessions ended at once): the time from the decision to no more writes. */
  public static final Duration FENCE_BUDGET = Duration.ofSeconds(1);
  /** Slack for a busy converger, scheduling and clock granularity. */
  public static final Duration SLACK = Duration.ofSeconds(1);

  /**
   * How long after the standby's WAL receiver went down the old primary may still accept writes: its last reply
   * ages out ({@link #STANDBY_REPLY_MAX_AGE}), the fence takes effect ({@link #FENCE_BUDGET}), plus {@link #SLACK}.
   */
  public static Duration window() {
    return STANDBY_REPLY_MAX_AGE.plus(FENCE_BUDGET).plus(SLACK);
  }
}
