package io.pgferry.controller.journey.wiring;

import io.pgferry.common.Lsn;
import io.pgferry.common.Secrets;
import io.pgferry.controller.journey.WriteFence;
import io.pgferry.controller.plan.Plan;
import java.util.List;

/** The source fence as text, for `pgferry plan` in a build without io.pgferry.controller.sql's fence. */
public final class PlannedFence implements WriteFence {
  private final Plan plan;

  public PlannedFence(Plan plan) {
    this.plan = plan;
  }

  @Override
  public Lsn fence() {
    throw new UnsupportedOperationException("the database fence is not part of this build");
  }

  @Override
  public void lift() {
    throw new UnsupportedOperationException("the database fence is not part of this build");
  }

  @Override
  public boolean isFenced() {
    return false;
  }

  @Override
  public List<String> describeFence() {
    String src = "source (" + Secrets.redact(plan.source().url()) + "): ";
    String db = plan.app().dbname();
    String role = plan.app().user();
    return List.of(
        src + "ALTER DATABASE \"" + db + "\" SET default_transaction_read_only = on;",
        src + "ALTER ROLE \"" + role + "\" SET default_transaction_read_only = on;",
        src + "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db + "' AND usename = '"
            + role + "' AND pid <> pg_backend_pid();",
        src + "SELECT pg_current_wal_lsn();  repeated until it stops moving");
  }

  @Override
  public List<String> describeLift() {
    String src = "source (" + Secrets.redact(plan.source().url()) + "): ";
    return List.of(
        src + "ALTER DATABASE \"" + plan.app().dbname() + "\" RESET default_transaction_read_only;",
        src + "ALTER ROLE \"" + plan.app().user() + "\" RESET default_transaction_read_only;");
  }
}
