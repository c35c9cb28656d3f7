package io.pgferry.controller.journey.steps;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.wiring.JdbcDatabase;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Durations;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.Sql;
import io.pgferry.controller.sql.slots.PhysicalSlots;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Upstream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * LOGICAL_SETUP's last step: make B able to take over the subscription's slot, so a failover during LOGICAL_SYNC or
 * CUTOVER_2 continues logical replication from B without a re-copy (reference/logical-failover.md). On A a physical
 * slot for B (it protects B's copy: catalog_xmin via hot_standby_feedback, WAL via restart_lsn); B's goal gains that
 * slot, the app's dbname in primary_conninfo and the logical slot to keep. PG 11-16: B's agent copies the slot's state
 * and keeps it advanced; PG 17: the slot is a failover slot (the subscription was created with failover = true), B
 * syncs it (sync_replication_slots) and A's synchronized_standby_slots keeps T from getting ahead of B. Done when B
 * reports the slot synced.
 */
public final class StandbySlotSetup {
  public static final String ID = JourneyTable.LS_STANDBY_SLOT;
  private static final Duration POLL = Duration.ofMillis(250);

  private StandbySlotSetup() {}

  /** B's physical slot on A (named like B's application_name). */
  public static String physicalSlot(Plan plan) {
    return Goals.applicationName(plan.nodes().standby());
  }

  /** Failover slots when A and T run 17+ (the subscription is created with failover = true); a copied slot below. */
  public static boolean failoverSlots(int aMajor, int tMajor) {
    return aMajor >= 17 && tMajor >= 17;
  }

  /** B keeps the slot as a copy (its agent, PG 11-16) or as a synced failover slot (PG 17, which needs T on 17+). */
  static boolean standbyCanKeepSlot(int aMajor, int tMajor) {
    return aMajor < 17 || tMajor >= 17;
  }

  /** T's major version. */
  public static int targetMajor(Plan plan) throws SQLException {
    try (Connection t = Endpoints.target(plan).connect(Purpose.PROBE)) {
      return Sql.serverMajor(t);
    }
  }

  public static Step step(Plan plan) {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    String physical = physicalSlot(plan);
    String slot = plan.failover().slot();
    if (!plan.failover().enabled()) {
      return FailoverSteps.step(ID, List.of("nothing: failover.enabled is false (B keeps no copy of the slot)"),
          ctx -> StepResult.of("failover disabled: B keeps no copy of " + slot));
    }
    return FailoverSteps.step(ID, List.of(
        PhysicalSlots.describeCreate(a, physical),
        "A and T on 17+: goal of " + a + " += synchronized_standby_slots = " + physical + "  (A on 17, T older: B keeps"
            + " nothing; a failover re-syncs the tables at risk)",
        "goal of " + b + " := STREAMING_STANDBY{upstream " + a + ", slot_name " + physical + ", dbname "
            + plan.app().dbname() + ", logical_slots [" + slot + "]}  (its agent keeps a copy of the slot; PG 17: syncs"
            + " the failover slot)",
        "wait until " + b + " reports " + slot + " synced (timeout "
            + Durations.format(plan.thresholds().timeouts().standby()) + ")"), ctx -> run(ctx, a, b, physical, slot));
  }

  static StepResult run(StepContext ctx, String a, String b, String physical, String slot) throws Exception {
    Plan plan = ctx.plan();
    if (ctx.stepDoneAt(JourneyTable.FO_PROMOTE_B).isPresent()) {
      return new StepResult(b + " is the primary since the failover: no standby keeps a copy of " + slot
          + " until one is added (`pgferry add-standby`)", Map.of("slot", slot, "standby", "none"));
    }
    NodeDirectory nodes = ctx.ports().nodes();
    NodeView av = said(nodes, a);
    NodeView bv = said(nodes, b);
    int major = av.hello().getPgMajor();
    int tMajor = targetMajor(plan);
    if (!standbyCanKeepSlot(major, tMajor)) {
      return new StepResult(b + " keeps no copy of " + slot + ": on PostgreSQL " + major + " only a failover slot survives on"
          + " a standby, and failover slots need the subscriber on 17+ (T runs " + tMajor + "); after a failover the"
          + " tables at risk are re-synced from " + b, Map.of("slot", slot, "standby", "none", "target_major", String.valueOf(tMajor)));
    }
    try (Connection c = Endpoints.admin(plan, av, "postgres").connect(Purpose.ADMIN)) {
      PhysicalSlots.create(c, physical);
    }
    boolean failoverSlots = failoverSlots(major, tMajor);
    if (failoverSlots) {
      Goal held = av.goal();
      if (held != null && !physical.equals(held.getSettingsMap().get("synchronized_standby_slots"))) {
        nodes.assign(a, held.toBuilder().putSettings("synchronized_standby_slots", physical).build());
      }
    }
    Goal standby = Goals.streamingStandby(plan, av);
    Upstream up = standby.getUpstream().toBuilder().setSlotName(physical).setDbname(plan.app().dbname()).build();
    Goal wanted = standby.toBuilder().setUpstream(up).addLogicalSlots(slot).build();
    if (!Goals.same(bv.goal(), wanted)) {
      nodes.assign(b, wanted);
    }
    AtomicReference<Optional<NodeView>> last = new AtomicReference<>(Optional.empty());
    try {
      Poll.untilTrue(Deadline.after(ctx.clock(), ctx.stepStartedAt(), plan.thresholds().timeouts().standby()), POLL, ctx::pause,
          b + " to hold a synced " + slot, () -> {
            Optional<NodeView> now = nodes.node(b);
            last.set(now);
            if (now.map(v -> v.status() != null && FailoverSteps.slotSynced(v.status().getSlotsList(), slot)).orElse(false)) {
              return true;
            }
            ctx.progress(b + ": waiting for its copy of " + slot + " ("
                + now.map(v -> v.status() == null ? "no status" : v.status().getSlotsList().toString().replace('\n', ' ')).orElse("?") + ")");
            return false;
          });
    } catch (Poll.Timeout e) {
      throw new JourneyException(b + " did not report " + slot + " synced in time; its agent's last error: "
          + last.get().map(v -> v.status() == null ? "(no status)" : v.status().getLastError()).orElse("(not connected)"));
    }
    return new StepResult(b + " holds " + (failoverSlots ? "a synced failover slot " : "a copy of ") + slot
        + ", protected by " + a + "'s physical slot " + physical, Map.of("physical_slot", physical, "slot", slot,
        "failover_slots", String.valueOf(failoverSlots)));
  }

  private static NodeView said(NodeDirectory nodes, String id) throws JourneyException {
    return nodes.node(id).filter(v -> v.hello() != null && !v.hello().getHost().isEmpty())
        .orElseThrow(() -> new JourneyException("node " + id + " has not said where its PostgreSQL listens (no Hello yet)"));
  }
}
