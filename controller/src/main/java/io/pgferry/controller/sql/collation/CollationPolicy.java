package io.pgferry.controller.sql.collation;

import io.pgferry.controller.plan.Plan.OnBrokenIndex;
import java.util.List;
import java.util.Optional;

/**
 * What a collation report means for cutover 1 under the plan's {@code collation.on_broken_index}: go on (and which
 * indexes to rebuild on A after its promotion), or stop with what the operator can do.
 */
public final class CollationPolicy {
  private CollationPolicy() {}

  /** The outcome: {@code stop} present = do not start cutover 1; {@code reindex}: rebuilt on A after promotion. */
  public record Outcome(String summary, List<String> reindex, Optional<String> stop) {}

  public static Outcome decide(CollationReport r, OnBrokenIndex policy) {
    if (r.clean()) {
      return new Outcome(r.summary(), List.of(), Optional.empty());
    }
    List<String> rebuild = r.toReindex();
    return switch (policy) {
      case REINDEX -> new Outcome(r.summary() + "; plan: REINDEX " + rebuild + " on A after its promotion, while writes"
          + " are still blocked (collation.on_broken_index: reindex)", rebuild, Optional.empty());
      case REPORT -> new Outcome("WARNING " + r.summary() + "; going on as collation.on_broken_index: report says:"
          + " REINDEX " + rebuild + " on A yourself (until then lookups may miss rows and unique keys may take"
          + " duplicates)", List.of(), Optional.empty());
      case STOP -> new Outcome(r.summary(), List.of(), Optional.of(stopMessage(r, rebuild)));
    };
  }

  private static String stopMessage(CollationReport r, List<String> rebuild) {
    String why = !r.broken().isEmpty() ? "amcheck found " + r.broken().size() + " index(es) sorted in another order than"
        + " this host's collation gives: " + r.broken()
        : !r.unchecked().isEmpty() ? "amcheck could not check " + r.unchecked()
        : "the collation version changed since the source (" + String.join(", ", r.mismatched())
            + ") and amcheck is not installed, so the " + rebuild.size() + " index(es) over collatable columns cannot be checked";
    String amcheckHint = r.amcheck() ? "" : " Install amcheck on the source (CREATE EXTENSION amcheck; it reaches A and B"
        + " through the archive), then `pgferry resume` checks the indexes themselves.";
    return "cutover 1 not started: " + why + "." + amcheckHint + " Or set collation.on_broken_index: reindex (pgferry"
        + " rebuilds " + rebuild + " on A after its promotion while writes are blocked: that adds their build time to"
        + " the downtime) or report (go on and REINDEX them yourself), amend the plan and `pgferry resume`.";
  }
}
