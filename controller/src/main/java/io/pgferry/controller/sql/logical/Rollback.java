package io.pgferry.controller.sql.logical;

import io.pgferry.common.Lsn;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.sql.sequences.SequenceReport;
import io.pgferry.controller.sql.sequences.SequenceSync;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL of {@code pgferry rollback}, run while the app's writes are blocked and reverse replication T -> A runs:
 * wait until A has applied T's current LSN, set A's sequences to T's, then end the reverse subscription. The
 * journey switches the app back to A and unblocks afterwards.
 */
public final class Rollback {
  public record Result(CatchUp.Result caughtUp, SequenceReport sequences, List<String> teardown) {}

  private final CatchUp catchUp;
  private final SequenceSync sequences;
  private final SubscriptionTeardown teardown;

  /** @param target T (the reverse publisher), @param source A (the reverse subscriber) */
  public Rollback(PgEndpoint target, PgEndpoint source, LogicalNames reverseNames) {
    this.catchUp = new CatchUp(target, source, reverseNames);
    this.sequences = new SequenceSync(target, source);
    this.teardown = new SubscriptionTeardown(source, target, reverseNames, null);
  }

  public List<String> describe() {
    List<String> out = new ArrayList<>(catchUp.describe());
    out.addAll(sequences.describe());
    out.addAll(teardown.describe());
    return out;
  }

  public Result run(Duration catchUpTimeout) throws Exception {
    Lsn lsn = catchUp.publisherLsn();
    CatchUp.Result caught = catchUp.waitFor(lsn, catchUpTimeout, Duration.ofMillis(100));
    SequenceReport seq = sequences.run();
    List<String> down = teardown.run();
    return new Result(caught, seq, down);
  }
}
