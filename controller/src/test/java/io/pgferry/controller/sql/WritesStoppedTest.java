package io.pgferry.controller.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Lsn;
import io.pgferry.controller.sql.WritesStopped.Sample;
import java.util.List;
import org.junit.jupiter.api.Test;

class WritesStoppedTest {
  private static Sample at(String lsn, long nextXid) {
    return new Sample(Lsn.parse(lsn), nextXid, List.of(), 0);
  }

  @Test
  void nothingMovedMeansStopped() {
    assertTrue(WritesStopped.between(at("0/3000060", 750), at("0/3000060", 750)));
  }

  @Test
  void walMovingWithoutANewTransactionIdIsMaintenanceNotAWrite() {
    // a checkpoint record, a running-xacts snapshot or a segment switch moves WAL without assigning an xid
    assertTrue(WritesStopped.between(at("0/3000060", 750), at("0/4000000", 750)));
  }

  @Test
  void aTransactionIdAssignedWithoutWalMovingIsNotACommit() {
    // an xid taken but nothing written yet (the holder would show at the next sample if it stayed open)
    assertTrue(WritesStopped.between(at("0/3000060", 750), at("0/3000060", 751)));
  }

  @Test
  void walAndTransactionIdsBothMovingMeansSomethingCommitted() {
    assertFalse(WritesStopped.between(at("0/3000060", 750), at("0/3000200", 752)));
  }

  @Test
  void aSessionHoldingATransactionIdAtEitherSampleMeansNotStopped() {
    Sample holding = new Sample(Lsn.parse("0/3000060"), 750, List.of("pid 42 (app, xid 749)"), 0);
    assertFalse(WritesStopped.between(holding, at("0/3000060", 750)), "held at the first sample: may commit any moment");
    assertFalse(WritesStopped.between(at("0/3000060", 750), holding), "held at the second sample");
  }

  @Test
  void aPreparedTransactionMeansNotStopped() {
    Sample prepared = new Sample(Lsn.parse("0/3000060"), 750, List.of(), 1);
    assertFalse(WritesStopped.between(at("0/3000060", 750), prepared));
    assertFalse(WritesStopped.between(prepared, prepared));
  }

  @Test
  void activityNamesWhatMovedAndWhoHoldsTransactionIds() {
    Sample now = new Sample(Lsn.parse("0/3000200"), 752, List.of("pid 42 (app, xid 751)"), 2);
    assertEquals("WAL 0/3000060 -> 0/3000200, next xid 750 -> 752, sessions holding a transaction ID: [pid 42 (app, xid 751)],"
        + " 2 prepared transaction(s)", WritesStopped.activity(at("0/3000060", 750), now));
    assertEquals("WAL 0/3000060 -> 0/3000060, next xid 750 -> 750", WritesStopped.activity(at("0/3000060", 750), at("0/3000060", 750)));
  }
}
