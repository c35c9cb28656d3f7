package io.pgferry.controller.journey;

import static io.pgferry.controller.journey.JourneyTable.*;

import io.pgferry.controller.plan.PlanDiff;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which plan keys each step of the journey uses, so `pgferry apply --amend` accepts a change only to what no started
 * step used: e.g. adding the logical: block after cutover 1 is fine (LOGICAL_SETUP has not started), changing
 * {@code nodes} once A or B was given its goal is not. The longest matching prefix decides; a key listed with no
 * step is read afresh by each step (limits, timeouts, holds) and may change at any time. A key not listed counts as
 * used by PREFLIGHT, so a new key is refused once the journey started rather than silently taken.
 */
public final class AmendmentRule {
  private static final Map<String, List<String>> USED_BY = new LinkedHashMap<>();

  static {
    use("source", PREFLIGHT_CHECKS, C1_FENCE_SOURCE, C1_FINAL_LSN);
    use("source.archive_timeout", C1_FINAL_LSN, C1_WAIT_REPLAYED);
    use("archive", PREFLIGHT_CHECKS, A_ASSIGN);
    use("nodes", A_ASSIGN, B_ASSIGN);
    use("nodes.archive_replica", PREFLIGHT_CHECKS, A_ASSIGN, B_ASSIGN);
    use("nodes.standby", PREFLIGHT_CHECKS, A_ASSIGN, B_ASSIGN);
    use("target", LS_PREFLIGHT);
    use("app", PREFLIGHT_CHECKS);
    use("app.password", LS_TARGET_ROLES);
    use("switch", PREFLIGHT_CHECKS, C1_BLOCK_APP);
    use("switch.app_restart", C2_RESTART_APP);
    use("switch.app_restart_timeout", C2_RESTART_APP);
    use("thresholds");
    use("connections");
    use("hold");
    use("durability", C1_PROMOTE);
    use("replica_identity_full", LS_REPLICA_IDENTITY);
    use("logical", LS_PREFLIGHT);
    use("logical.reverse_replication", C2_REVERSE);
    use("logical.verify", C2_VERIFY);
    use("logical.verify_chunk_rows", C2_VERIFY);
    use("logical.sync_timeout");
    use("logical.cutover_2_timeout");
    use("logical.retained_wal_alert_bytes");
    use("logical.index_jobs", SYNC_POST_DATA);
    use("logical.index_maintenance_work_mem", SYNC_POST_DATA);
    use("failover", FO_FENCE_A);
    use("failover.admin_user", A_ASSIGN, B_ASSIGN, C1_COLLATION);
    use("failover.admin_password", C1_COLLATION);
    use("failover.subscription", LS_SUBSCRIPTION);
    use("failover.slot", LS_SUBSCRIPTION);
    use("collation", C1_COLLATION);
    use("wal_safety", LS_PREFLIGHT);
    use("wal_safety.max_slot_wal_keep_size", C1_PROMOTE);
  }

  private AmendmentRule() {}

  private static void use(String prefix, String... steps) {
    USED_BY.put(prefix, List.of(steps));
  }

  /** The steps that use {@code key} (a dotted plan path). */
  static List<String> usedBy(String key) {
    String p = key;
    while (true) {
      List<String> steps = USED_BY.get(p);
      if (steps != null) {
        return steps;
      }
      int dot = p.lastIndexOf('.');
      if (dot < 0) {
        return List.of(PREFLIGHT_CHECKS);
      }
      p = p.substring(0, dot);
    }
  }

  /** One line per changed key that a started step used: {@code nodes.standby: used by standby.assign_goal (done)}. */
  public static List<String> refusals(PlanDiff diff, JournalState st) {
    List<String> out = new ArrayList<>();
    for (PlanDiff.Change c : diff.changes()) {
      for (String step : usedBy(c.key())) {
        JournalState.StepState s = st.step(step);
        if (s.done() || s.starts() > 0) {
          out.add(c.key() + ": used by " + step + " (" + (s.done() ? "done" : "started") + "); a change now would not"
              + " reach what that step did");
          break;
        }
      }
    }
    return out;
  }
}
