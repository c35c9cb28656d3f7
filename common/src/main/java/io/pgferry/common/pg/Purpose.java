package io.pgferry.common.pg;

import java.time.Duration;
import java.util.Locale;

/**
 * Why pgferry opens a PostgreSQL session. The purpose names the session ({@code application_name = pgferry-<purpose>},
 * visible in pg_stat_activity) and bounds it: how long to wait for the connection, how long the link may stay silent
 * while a reply is awaited (socket timeout: a half-open link fails instead of hanging), and the server-side
 * statement_timeout and lock_timeout (sent as startup options). The server-side bounds are below the socket timeout,
 * so a slow statement ends with the server's clear error and only a dead link ends with the socket's. Zero: no bound.
 * Long work (bulk copy, matview refresh, slot advance, backup) gets no statement bound and a socket bound far above
 * what it can legitimately stay silent.
 */
public enum Purpose {
  /** Short read-only questions: versions, LSNs, "is it up", the agent's observer of its own PostgreSQL. */
  PROBE(3, 10, 8, 2),
  /** A physical replication connection asking an upstream IDENTIFY_SYSTEM (agent). */
  UPSTREAM_PROBE(5, 15, 0, 0),
  /** Superuser sessions on A or B: synchronous_standby_names, slot positions, failover checks. */
  ADMIN(3, 10, 8, 5),
  /**
   * DDL of LOGICAL_SETUP (role, schema copy, publication, subscription, replica identity: these wait on locks and on
   * running transactions on purpose) and cutover 2's reverse replication.
   */
  SCHEMA(10, 3600, 3540, 600),
  /** Bulk work that may stay silent long: materialized view refresh, table resync copy. */
  COPY(10, 0, 0, 600),
  /** The write fence on a database (cutover 2 on A, cutover 1 on the source): ALTER DATABASE/ROLE, ending sessions. */
  FENCE(5, 30, 20, 10),
  /** Replication progress: T's applied position against A's (wait_applied, sync wait). */
  CATCH_UP(5, 30, 20, 5),
  /** Row counts and chunk hashes of cutover 2's verify (one count(*) of a large table may take minutes). */
  VERIFY(5, 900, 840, 30),
  /** Sequence values copied from A to T in cutover 2. */
  SEQUENCES(5, 30, 20, 10),
  /** Cutover 2's DDL after the fence: drop the subscription, reverse replication. */
  CUTOVER(5, 60, 45, 10),
  /** The agent's logical slot copies and advances (CHECKPOINT, pg_replication_slot_advance). */
  SLOTS(3, 900, 0, 0),
  /** backup-push: pg_backup_start (a checkpoint) and pg_backup_stop; the session idles while files are copied. */
  BACKUP(10, 3600, 0, 0);

  private final Timeouts defaults;

  Purpose(long connectSeconds, long socketSeconds, long statementSeconds, long lockSeconds) {
    this.defaults = new Timeouts(Duration.ofSeconds(connectSeconds), Duration.ofSeconds(socketSeconds),
        Duration.ofSeconds(statementSeconds), Duration.ofSeconds(lockSeconds));
  }

  public Timeouts defaults() {
    return defaults;
  }

  /** pgferry-catch_up, ...: the prefix pgferry spares when it fences a database. */
  public String applicationName() {
    return PgEndpoint.APPLICATION_NAME + "-" + name().toLowerCase(Locale.ROOT);
  }

  /** The plan's spelling: catch_up, sequences, ... */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
