package io.pgferry.controller.sql.copy;

import io.pgferry.common.pg.PgEndpoint;

/**
 * The snapshot held by this controller process ({@link ExportedSnapshot}): the fallback when A's agent cannot hold it.
 * A step retried in the same process resumes; a controller restart loses the snapshot.
 */
public final class ControllerHeldSnapshot implements SnapshotHolder {
  private final PgEndpoint publisher;
  private final String slot;

  public ControllerHeldSnapshot(PgEndpoint publisher, String slot) {
    this.publisher = publisher;
    this.slot = slot;
  }

  @Override
  public Held held() {
    ExportedSnapshot s = ExportedSnapshot.held(slot);
    return s == null ? null : new Held(s.name(), s.consistentPoint());
  }

  @Override
  public Held create(boolean failover) throws Exception {
    ExportedSnapshot s = ExportedSnapshot.create(publisher, slot, failover);
    return new Held(s.name(), s.consistentPoint());
  }

  @Override
  public void release() {
    ExportedSnapshot s = ExportedSnapshot.held(slot);
    if (s != null) {
      s.close();
    }
  }

  @Override
  public String describe() {
    return "on " + publisher + " (replication connection from the controller, held open and idle until the copy ends)";
  }
}
