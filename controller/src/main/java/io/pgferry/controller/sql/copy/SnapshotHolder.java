package io.pgferry.controller.sql.copy;

/**
 * Who holds the copy's exported snapshot (the replication connection that created the slot, open and idle): A's agent
 * ({@link AgentHeldSnapshot}: it outlives this process, so a controller restart resumes the copy) or, when A's agent
 * cannot, this process ({@link ControllerHeldSnapshot}: a restart loses it and the copy starts afresh).
 */
public interface SnapshotHolder {
  /** A held snapshot: the name SET TRANSACTION SNAPSHOT takes, and the slot's consistent point (apply starts there). */
  record Held(String name, String consistentPoint) {}

  /** The snapshot held for the slot now, null when none (never held, or lost). */
  Held held() throws Exception;

  /** Creates the slot (it must not exist) and holds the snapshot it exports; {@code failover}: a PostgreSQL 17 failover slot. */
  Held create(boolean failover) throws Exception;

  /** Lets go of the snapshot (the slot stays); returns once none is held. Idempotent. */
  void release() throws Exception;

  /** Where it is held, for `pgferry plan`. */
  String describe();
}
