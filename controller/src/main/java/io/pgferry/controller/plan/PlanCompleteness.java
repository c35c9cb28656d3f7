package io.pgferry.controller.plan;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a plan needs to run the whole journey, to DONE (docs/contracts.md, "plan.yaml", "Complete plans"): a plan
 * the loader accepts may still stop half-way, e.g. without a {@code logical:} block the engine WAITs at LOGICAL_SETUP
 * for good (JourneyTable: the logical phases are built only with logical.replication_password). `pgferry plan`
 * refuses such a plan with a line saying what to add; `apply` accepts it (a journey to cutover 1 only, completed
 * later with `pgferry apply --amend`).
 */
final class PlanCompleteness {
  /** The Debian layout of client_bin_dir: its major, to compare with the source's. */
  private static final Pattern DEBIAN_BIN = Pattern.compile("/usr/lib/postgresql/(\\d+)/bin/?");

  private final YamlBinder b;
  private final Plan plan;

  PlanCompleteness(YamlBinder b, Plan plan) {
    this.b = b;
    this.plan = plan;
  }

  void check() {
    if (!b.written("logical")) {
      b.error("logical", "missing: without it the journey stops for good after cutover 1 (the app on A, nothing copied"
          + " to the target); add a logical: block with replication_password (env:NAME or file:PATH) and"
          + " target_address (the target's address as A sees it, e.g. 10.0.3.7/32)");
      return;
    }
    Plan.Logical l = plan.logical();
    if (l.replicationPassword() == null || l.replicationPassword().isBlank()) {
      b.error("logical.replication_password", "missing: the target's subscription logs in to A as"
          + " logical.replication_role with it; add replication_password: env:PGFERRY_REPL_PASSWORD (or file:PATH)");
    }
    if (l.targetAddress().isEmpty()) {
      b.error("logical.target_address", "missing: A's pg_hba (written by pgferry) admits only the hosts the plan names,"
          + " so the target's subscription could not connect; add target_address: the target's address as A sees it"
          + " (e.g. 10.0.3.7/32; Aurora: the egress addresses of its subnets)");
    }
    Matcher m = DEBIAN_BIN.matcher(l.clientBinDir());
    Integer major = plan.source() == null ? null : plan.source().pgMajor();
    if (major != null && m.matches() && Integer.parseInt(m.group(1)) < major) {
      String path = b.written("logical.client_bin_dir") ? "logical.client_bin_dir" : "logical";
      b.error(path, "client_bin_dir " + l.clientBinDir() + " holds pg_dump " + m.group(1) + ", which cannot dump"
          + " PostgreSQL " + major + " (source.pg_major): the schema copy would fail; add client_bin_dir:"
          + " /usr/lib/postgresql/" + major + "/bin (installed on the controller's host)");
    }
  }
}
