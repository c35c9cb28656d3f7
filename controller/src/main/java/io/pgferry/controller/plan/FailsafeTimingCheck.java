package io.pgferry.controller.plan;

import io.pgferry.common.FailsafeTiming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The failsafe's timing invariants (docs/failsafe.md), checked for `pgferry plan`: each line says the rule, the
 * numbers, and "ok" or "VIOLATED". Separate from the generic plan checks on purpose: these are the proof's premises.
 */
public final class FailsafeTimingCheck {
  private FailsafeTimingCheck() {}

  public static List<String> lines(Plan plan) {
    Plan.Failover f = plan.failover();
    List<String> out = new ArrayList<>();
    Duration status = FailsafeTiming.STANDBY_STATUS_INTERVAL;
    Duration observe = FailsafeTiming.OBSERVE_EVERY;
    Duration maxAge = FailsafeTiming.STANDBY_REPLY_MAX_AGE;
    Duration window = FailsafeTiming.window();
    out.add(line("a healthy standby never looks stale: wal_receiver_status_interval " + ms(status) + " + observation "
        + ms(observe) + " < reply max age " + ms(maxAge), status.plus(observe).compareTo(maxAge) < 0));
    out.add(line("the old primary stops writing within the window after its standby's receiver goes down: reply max age "
        + ms(maxAge) + " + fence " + ms(FailsafeTiming.FENCE_BUDGET) + " <= window " + ms(window),
        maxAge.plus(FailsafeTiming.FENCE_BUDGET).compareTo(window) <= 0));
    out.add(line("the lease fence still comes first when the controller is reachable: lease_margin " + ms(f.leaseMargin())
        + " >= 0", !f.leaseMargin().isNegative()));
    Duration leaseWait = f.maxLease().plus(f.leaseMargin());
    Duration promoteAfter = leaseWait.compareTo(window) > 0 ? leaseWait : window;
    out.add("so a failover promotes B at most max(A's lease (<= max_lease " + ms(f.maxLease()) + ") + lease_margin "
        + ms(f.leaseMargin()) + ", window " + ms(window) + ") = " + ms(promoteAfter) + " after A's loss (plus detection"
        + " and promotion)");
    out.add("PG 11 (no reply_time): A serves on its standby only when its wal_sender_timeout is under " + ms(maxAge)
        + " (postgres.settings in its agent.yaml); otherwise it fences at the lease's end, as without failsafe");
    return out;
  }

  /** The lines that do not hold (empty: all hold). */
  public static List<String> violations(Plan plan) {
    return lines(plan).stream().filter(l -> l.endsWith("VIOLATED")).toList();
  }

  private static String line(String rule, boolean holds) {
    return rule + ": " + (holds ? "ok" : "VIOLATED");
  }

  private static String ms(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
