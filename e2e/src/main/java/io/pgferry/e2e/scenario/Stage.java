package io.pgferry.e2e.scenario;

/**
 * The stages of a scenario run, in order. A failure names its stage (for JOURNEY also the journey phase). Later
 * journey phases (logical replication to T, the failover, cutover 2) run inside JOURNEY, driven by the same
 * `pgferry apply`; events injected during them (killing A) are {@link JourneyHook}s.
 */
public enum Stage {
  CLUSTERS("the \"Heroku\" source archiving with wal-push, and the target T"),
  BACKUP("a base backup of the source with backup-push"),
  CONTROL("the controller and the agents of a and b"),
  APP("the app's path and the ledger writing through it (from here on, the whole time)"),
  JOURNEY("pgferry apply"),
  VERIFY("the ledger on the final primary; b streaming from a (through cutover 1), or T equal to the last source-side primary (through cutover 2)");

  private final String what;

  Stage(String what) {
    this.what = what;
  }

  public String what() {
    return what;
  }
}
