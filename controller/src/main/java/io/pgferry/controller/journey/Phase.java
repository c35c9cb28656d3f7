package io.pgferry.controller.journey;

/** The phases of the journey (DESIGN.md §3), in their normal order; FAILOVER is entered only by a decision. */
public enum Phase {
  PREFLIGHT, ARCHIVE_REPLICA, STANDBY, CUTOVER_1, LOGICAL_SETUP, LOGICAL_SYNC, CUTOVER_2, DONE, FAILOVER
}
