package io.pgferry.controller.journey.wiring;

import io.pgferry.common.Lsn;
import io.pgferry.common.Secrets;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.WriteFence;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.DatabaseFence;
import java.time.Duration;
import java.util.List;

/** The journey's WriteFence over the sql package's DatabaseFence, on the source given by source.url. */
public final class SourceFence implements WriteFence {
  private final Plan plan;
  private final DatabaseFence fence;
  private final DatabaseFence.Options options;

  public SourceFence(Plan plan) {
    this.plan = plan;
    Duration quietTimeout = Duration.ofSeconds(30);
    if (plan.thresholds().timeouts().cutover1().compareTo(quietTimeout.multipliedBy(2)) < 0) {
      quietTimeout = plan.thresholds().timeouts().cutover1().dividedBy(2);
    }
    this.options = DatabaseFence.Options.of(plan.app().user()).quiet(DatabaseFence.CUTOVER_QUIET_INTERVAL, quietTimeout);
    this.fence = new DatabaseFence(() -> Endpoints.source(plan).connect(Purpose.FENCE), options);
  }

  @Override
  public Lsn fence() throws Exception {
    return fence.fence().quietLsn();
  }

  @Override
  public void lift() throws Exception {
    fence.lift();
  }

  @Override
  public void liftOnCopy(String host, int port) throws Exception {
    new DatabaseFence(() -> Endpoints.source(plan).withAddress(host, port).connect(Purpose.FENCE), options).lift();
  }

  @Override
  public void liftOnCopy(PgEndpoint copy) throws Exception {
    new DatabaseFence(() -> copy.connect(Purpose.FENCE), options).lift();
  }

  @Override
  public List<String> describeLiftOnCopy(String where) {
    String at = where + " (as the source's user): ";
    return List.of(at + "ALTER DATABASE " + plan.app().dbname() + " RESET default_transaction_read_only",
        at + "ALTER ROLE " + plan.app().user() + " RESET default_transaction_read_only",
        "(the source's fence is a catalog change: " + where + " replayed it from the archive)");
  }

  @Override
  public boolean isFenced() throws Exception {
    return fence.isFenced();
  }

  @Override
  public List<String> describeFence() {
    String src = "source (" + Secrets.redact(plan.source().url()) + "): ";
    return fence.describe(plan.app().dbname()).stream().map(l -> src + l).toList();
  }

  @Override
  public List<String> describeLift() {
    String src = "source (" + Secrets.redact(plan.source().url()) + "): ";
    return List.of(src + "ALTER DATABASE " + plan.app().dbname() + " RESET default_transaction_read_only",
        src + "ALTER ROLE " + plan.app().user() + " RESET default_transaction_read_only",
        src + "end the app role's sessions opened while fenced (they stay read-only)");
  }
}
