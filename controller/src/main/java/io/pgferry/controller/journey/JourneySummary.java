package io.pgferry.controller.journey;

import io.pgferry.common.Secrets;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.proto.Slot;
import io.pgferry.proto.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What `pgferry status` says once the journey finished (pure: the journal, the plan and the nodes' last Status). */
final class JourneySummary {
  private JourneySummary() {}

  static JourneyStatus.Summary of(JournalState st, Plan plan, List<NodeView> nodes) {
    List<JourneyStatus.Downtime> downtimes = new ArrayList<>();
    blocked(st, "cutover_1", JourneyTable.C1_BLOCK_APP, JourneyTable.C1_UNBLOCK).ifPresent(downtimes::add);
    st.phaseStartedAt(Phase.FAILOVER).ifPresent(decided -> Optional.ofNullable(st.step(JourneyTable.FO_REPOINT_APP).doneAt())
        .ifPresent(repointed -> downtimes.add(new JourneyStatus.Downtime("failover", seconds(decided, repointed),
            "failover decided -> app repointed to the new primary (the detection time, failover.detect_after, comes"
                + " before it)"))));
    blocked(st, "cutover_2", JourneyTable.C2_BLOCK_APP, JourneyTable.C2_UNBLOCK).ifPresent(downtimes::add);

    boolean decommissioned = st.decommissionedAt().isPresent();
    List<String> running = new ArrayList<>();
    if (!decommissioned && plan != null) {
      boolean failedOver = st.isDone(JourneyTable.FO_PROMOTE_B);
      String oldPrimary = failedOver ? plan.nodes().standby() : plan.nodes().archiveReplica();
      for (NodeView v : nodes) {
        if (!v.nodeId().equals(plan.nodes().archiveReplica()) && !v.nodeId().equals(plan.nodes().standby())) {
          continue;
        }
        Status s = v.status() == null ? Status.getDefaultInstance() : v.status();
        StringBuilder line = new StringBuilder(v.nodeId()).append(v.nodeId().equals(oldPrimary) ? " (old primary)" : "")
            .append(": ").append(s.getState()).append(v.connected() ? "" : " (agent offline)");
        long retained = 0;
        List<String> slots = new ArrayList<>();
        for (Slot slot : s.getSlotsList()) {
          slots.add(slot.getName() + (slot.getActive() ? " active" : ""));
          retained = Math.max(retained, slot.getRetainedBytes());
        }
        if (!slots.isEmpty()) {
          line.append("; slots ").append(String.join(", ", slots)).append(" holding up to ").append(retained)
              .append(" bytes of WAL");
        }
        running.add(line.toString());
      }
      running.add("publication " + LogicalNames.DEFAULT.publication() + " on " + oldPrimary
          + (plan.logical().reverseReplication() ? "; reverse replication T -> " + oldPrimary : ""));
    }
    String appOn = st.phaseDone(Phase.CUTOVER_2) ? "the target " + target(plan) : "(unknown: cutover 2 is not recorded done)";
    String next = decommissioned ? "decommissioned at " + st.decommissionedAt().get()
        : "`pgferry finish` decommissions them (drops the slots, the publication and any subscription left, stops A and B)";
    return new JourneyStatus.Summary(appOn, downtimes, running, decommissioned, next);
  }

  private static String target(Plan plan) {
    if (plan == null) {
      return "T";
    }
    try {
      return Endpoints.target(plan).toString();
    } catch (RuntimeException e) {
      return Secrets.redact(plan.target().url());
    }
  }

  private static Optional<JourneyStatus.Downtime> blocked(JournalState st, String event, String block, String unblock) {
    Instant from = st.step(block).firstStartedAt();
    Instant to = st.step(unblock).doneAt();
    if (from == null || to == null) {
      return Optional.empty();
    }
    return Optional.of(new JourneyStatus.Downtime(event, seconds(from, to), "writes blocked: " + block + " started -> "
        + unblock + " done"));
  }

  private static double seconds(Instant from, Instant to) {
    return Duration.between(from, to).toMillis() / 1000.0;
  }
}
