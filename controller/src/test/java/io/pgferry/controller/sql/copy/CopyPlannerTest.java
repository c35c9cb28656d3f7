package io.pgferry.controller.sql.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.controller.plan.Plan;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Range conditions cover the whole key space without gaps or overlaps; split_larger_than sizes parse. */
class CopyPlannerTest {
  @Test
  void rangesAreContiguousAndOpenAtBothEnds() {
    assertEquals(List.of("k < 4", "k >= 4 AND k < 7", "k >= 7"), CopyPlanner.bounds(1, 10, 3, (op, v) -> "k " + op + " " + v));
    assertEquals(List.of("ctid < '(50,0)'::tid", "ctid >= '(50,0)'::tid"),
        CopyPlanner.bounds(0, 100, 2, (op, v) -> "ctid " + op + " '(" + v + ",0)'::tid"));
    assertEquals(List.of("k < 2", "k >= 2"), CopyPlanner.bounds(1, 3, 5, (op, v) -> "k " + op + " " + v), "no more pieces than keys");
    assertEquals(List.of(""), CopyPlanner.bounds(7, 8, 4, (op, v) -> "k " + op + " " + v), "one key: the whole table");
  }

  @Test
  void splitLargerThanIsASize() {
    assertEquals(1L << 30, Plan.Logical.DEFAULT.splitLargerThanBytes());
    assertEquals(0, logical("0").splitLargerThanBytes());
    assertEquals(500L << 20, logical("500MB").splitLargerThanBytes());
    assertEquals(-1, logical("lots").splitLargerThanBytes());
  }

  private static Plan.Logical logical(String split) {
    Plan.Logical d = Plan.Logical.DEFAULT;
    return new Plan.Logical(d.replicationRole(), null, d.adminUser(), null, d.targetAddress(), d.sourceHost(), d.reverseReplication(),
        d.failoverSlots(), d.clientBinDir(), d.verify(), d.verifyChunkRows(), d.retainedWalAlertBytes(), d.syncTimeout(),
        d.cutover2Timeout(), d.allowWideAddress(), d.sslmode(), d.sslrootcert(), d.indexJobs(), d.indexMaintenanceWorkMem(),
        d.copyMethod(), d.tableJobs(), split);
  }
}
