package io.pgferry.controller.journey.steps;

import io.pgferry.common.Command;
import io.pgferry.common.Deadline;
import io.pgferry.common.FailsafeTiming;
import io.pgferry.common.Lsn;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.failover.Ec2Stonith;
import io.pgferry.controller.failover.FailsafeGuard;
import io.pgferry.controller.failover.PositionCheck;
import io.pgferry.controller.failover.SplitBrainRule;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.Decisions;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.JourneyPorts;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.journey.Verdict;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.failover.SubscriptionRepoint;
import io.pgferry.controller.sql.failover.TableResync;
import io.pgferry.controller.sql.slots.SynchronizedStandbySlots;
import io.pgferry.controller.switching.AppSwitcher;
import io.pgferry.controller.switching.DatabaseEndpoint;
import io.pgferry.controller.switching.SwitchException;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Slot;
import io.pgferry.proto.Status;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The FAILOVER phase (DESIGN.md §3): fence A (+ optional STONITH hook) -> wait until A's lease expired plus a margin
 * (the split-brain rule) -> disable T's subscription (a revived A cannot feed it) -> B PRIMARY -> app to B -> the
 * subscription continues from B's copied/synced slot when its position is proven safe; otherwise only the tables at
 * risk are re-synced. Every step checks "already done?" first, so a resumed failover never promotes twice.
 */
public final class FailoverSteps {
  private static final Logger LOG = Logger.getLogger(FailoverSteps.class.getName());
  public static final String FENCE_A = JourneyTable.FO_FENCE_A;
  public static final String PAUSE_APP = JourneyTable.FO_PAUSE_APP;
  public static final String WAIT_LEASE = JourneyTable.FO_WAIT_LEASE;
  public static final String DISABLE_SUBSCRIPTION = JourneyTable.FO_DISABLE_SUBSCRIPTION;
  public static final String PROMOTE_B = JourneyTable.FO_PROMOTE_B;
  public static final String REPOINT_APP = JourneyTable.FO_REPOINT_APP;
  public static final String REPOINT_SUBSCRIPTION = JourneyTable.FO_REPOINT_SUBSCRIPTION;
  private static final Duration PROMOTE_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration POLL = Duration.ofMillis(100);
  /** How long the failover's PAUSE may wait for A's sessions: A's host may be gone, its connections hanging. */
  static final Duration PAUSE_BOUND = Duration.ofSeconds(2);

  private FailoverSteps() {}

  /** @param bView B as the controller sees it (empty when describing without one) */
  public static Map<String, Step> build(Plan plan, JourneyPorts ports, Optional<NodeView> bView) {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    Plan.Failover f = plan.failover();
    Map<String, Step> steps = new LinkedHashMap<>();
    steps.put(FENCE_A, step(FENCE_A, List.of("goal of " + a + " := FENCED (its agent, if alive, stops PostgreSQL fast"
            + " and keeps it down; a dead agent's lease runs out and it fences itself before expiry)",
        f.stonithCommand().isEmpty() ? "no STONITH hook (failover.stonith_command)" : "sh -c '" + f.stonithCommand()
            + "' with PGFERRY_NODE=" + a + " PGFERRY_HOST=<host of " + a + ">",
        f.stonithEc2() == null ? "no EC2 STONITH (failover.stonith_ec2)" : "EC2 StopInstances(" + f.stonithEc2().instanceId()
            + ", force) and wait until stopped (up to " + f.stonithEc2().stopTimeout().toSeconds() + " s); no promotion"
            + " unless it is"), ctx -> fenceA(ctx, a)));
    steps.put(PAUSE_APP, step(PAUSE_APP, describePause(ports.switcher()), FailoverSteps::pauseApp));
    steps.put(JourneyTable.FO_UNDO_UNPAUSE, step(JourneyTable.FO_UNDO_UNPAUSE,
        List.of("if " + PAUSE_APP + " paused the app: " + String.join("; ", describeUnpause(ports.switcher()))),
        FailoverSteps::unpauseApp));
    steps.put(WAIT_LEASE, step(WAIT_LEASE, List.of("wait until " + a + "'s lease (as the controller granted it) expired + "
        + f.leaseMargin().toMillis() + " ms (unknown lease: " + f.maxLease().toMillis() + " ms from the failover's start),"
        + " or " + a + "'s agent acknowledged FENCED with PostgreSQL stopped",
        "and (unless " + a + " acknowledged FENCED) " + b + "'s WAL receiver down for the failsafe window ("
            + FailsafeTiming.window().toMillis() + " ms, docs/failsafe.md): " + a + " may serve while " + b + " streams from it"),
        ctx -> waitLease(ctx, a, b)));
    steps.put(DISABLE_SUBSCRIPTION, step(DISABLE_SUBSCRIPTION, SubscriptionRepoint.describeDisable(f.subscription()),
        FailoverSteps::disableSubscription));
    steps.put(PROMOTE_B, step(PROMOTE_B, List.of("goal of " + b + " := PRIMARY with " + a + "'s pg_hba rules (no synchronous standby left: durability"
        + " is async until a standby is added back)", "wait until " + b + " reports PRIMARY, not in recovery"),
        ctx -> promoteB(ctx, a, b)));
    steps.put(REPOINT_APP, step(REPOINT_APP, repointAppLines(ports.switcher(), Endpoints.appShown(plan, bView, b)),
        ctx -> repointApp(ctx, b)));
    List<String> repointLines = new ArrayList<>(SynchronizedStandbySlots.describeClear(b));
    repointLines.add("compare the subscription's origin remote_lsn on the target with " + b + "'s slot " + f.slot()
        + " confirmed_flush_lsn and promotion point (PositionCheck); safe:");
    repointLines.addAll(SubscriptionRepoint.describeRepoint(f.subscription(), b));
    repointLines.add("unsafe: name the tables at risk and re-sync only those:");
    repointLines.addAll(TableResync.describe(f.subscription(), b));
    steps.put(REPOINT_SUBSCRIPTION, step(REPOINT_SUBSCRIPTION, repointLines, ctx -> repointSubscription(ctx, b)));
    steps.put(JourneyTable.FO_CONTROLLER_ROLE, ControllerRoleStep.afterFailover(plan, Endpoints.shown(plan, bView, b, plan.logical().adminUser())));
    return steps;
  }

  @FunctionalInterface
  interface Body {
    StepResult run(StepContext ctx) throws Exception;
  }

  static Step step(String id, List<String> describe, Body body) {
    return new Step() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public boolean idempotent() {
        return true; // each body checks what is in place first
      }

      @Override
      public List<String> describe() {
        return describe;
      }

      @Override
      public StepResult run(StepContext ctx) throws Exception {
        StepResult r = body.run(ctx);
        LOG.info(id + ": " + r.summary() + " " + r.evidence());
        return r;
      }
    };
  }

  static StepResult fenceA(StepContext ctx, String a) throws Exception {
    NodeDirectory nodes = ctx.ports().nodes();
    Goal held = nodes.node(a).map(NodeView::goal).orElse(null);
    // the lease as granted, read before the FENCED goal ends it; kept in the journal for a resumed failover
    Optional<Instant> lease = nodes.node(a).flatMap(NodeView::leaseExpiresAt);
    // the pg_hba rules stay in the goal: B, promoted, takes them over (T's replication role comes in through them)
    // failsafe_standby stays too: the record that a named b (the promotion's guard reads it, FailsafeGuard.standbyNamed)
    Goal fenced = held != null && held.getState() == NodeState.FENCED ? held
        : nodes.assign(a, Goal.newBuilder().setState(NodeState.FENCED)
            .addAllHbaRules(held == null ? List.of() : held.getHbaRulesList())
            .setFailsafeStandby(held == null ? "" : held.getFailsafeStandby()).build());
    Map<String, String> ev = new LinkedHashMap<>();
    ev.put("a_failsafe_standby", fenced.getFailsafeStandby());
    lease.ifPresent(e -> ev.put("a_lease_expires_at", e.toString()));
    ev.put("fence_generation", String.valueOf(fenced.getGeneration()));
    String hook = ctx.plan().failover().stonithCommand();
    if (!hook.isEmpty()) {
      String host = nodes.node(a).map(v -> v.hello() == null ? "" : v.hello().getHost()).orElse("");
      Command.Result r = Command.of("sh", "-c", hook).env("PGFERRY_NODE", a).env("PGFERRY_HOST", host)
          .timeout(Duration.ofSeconds(60)).run();
      ev.put("stonith_exit", String.valueOf(r.exitCode()));
      if (!r.ok()) {
        throw new JourneyException("STONITH hook failed (exit " + r.exitCode() + "): " + r.stderr().strip());
      }
    }
    Plan.Ec2Instance ec2 = ctx.plan().failover().stonithEc2();
    if (ec2 != null) {
      ev.put("stonith_ec2", ec2.instanceId() + " " + Ec2Stonith.stop(ec2));
    }
    return new StepResult(a + " fenced (goal generation " + fenced.getGeneration() + ")"
        + (hook.isEmpty() ? "" : "; STONITH hook ran") + (ec2 == null ? "" : "; EC2 instance " + ev.get("stonith_ec2")), ev);
  }

  private static List<String> describePause(AppSwitcher shown) {
    if (shown == null) {
      return List.of();
    }
    return shown.queueingClients(PAUSE_BOUND).map(q -> {
      List<String> lines = new ArrayList<>(q.describeBlock());
      lines.add("so the app's requests queue while B is promoted and " + REPOINT_APP + " RESUMEs them on B; a PAUSE that"
          + " does not finish within " + PAUSE_BOUND.toMillis() + " ms is cancelled and the failover goes on unpaused");
      return lines;
    }).orElse(List.of("nothing: the " + shown.name() + " switch cannot make clients wait (they fail until "
        + REPOINT_APP + ")"));
  }

  private static List<String> describeUnpause(AppSwitcher shown) {
    return shown == null ? List.of() : shown.describeUnblock();
  }

  /** Clients wait instead of failing on a dead A; never holds the failover up (a failed PAUSE is only reported). */
  static StepResult pauseApp(StepContext ctx) {
    AppSwitcher s = ctx.ports().switcher();
    Optional<AppSwitcher> queueing = s.queueingClients(PAUSE_BOUND);
    if (queueing.isEmpty()) {
      return new StepResult("not paused: the " + s.name() + " switch cannot make clients wait", Map.of("paused", "false"));
    }
    try {
      queueing.get().blockWrites();
      return new StepResult("app paused (" + s.name() + "): its requests queue until B serves them", Map.of("paused", "true"));
    } catch (SwitchException e) {
      LOG.warning(PAUSE_APP + ": " + e.getMessage());
      return new StepResult("not paused, the failover goes on: " + e.getMessage(), Map.of("paused", "false"));
    }
  }

  static StepResult unpauseApp(StepContext ctx) throws Exception {
    if (!"true".equals(ctx.evidenceOf(PAUSE_APP).get("paused"))) {
      return new StepResult("nothing to unpause: " + PAUSE_APP + " did not pause the app", Map.of());
    }
    AppSwitcher s = ctx.ports().switcher();
    s.unblock();
    return StepResult.of("app unpaused (" + s.name() + ")");
  }

  static StepResult waitLease(StepContext ctx, String a, String b) throws Exception {
    NodeDirectory nodes = ctx.ports().nodes();
    Plan.Failover f = ctx.plan().failover();
    Instant started = ctx.stepDoneAt(FENCE_A).orElse(ctx.stepStartedAt());
    while (true) {
      Optional<NodeView> av = nodes.node(a);
      Instant now = ctx.clock().instant();
      boolean ack = av.map(v -> v.connected() && v.status() != null && v.goal() != null
          && v.status().getState() == NodeState.FENCED && v.status().getGoalGeneration() >= v.goal().getGeneration()
          && !v.status().getPgRunning()).orElse(false);
      Optional<Instant> granted = av.flatMap(NodeView::leaseExpiresAt)
          .or(() -> Optional.ofNullable(ctx.evidenceOf(FENCE_A).get("a_lease_expires_at")).map(Instant::parse));
      SplitBrainRule.Decision d = SplitBrainRule.decide(granted, started, f.maxLease(), f.leaseMargin(), ack, now);
      FailsafeGuard.Decision fs = failsafe(nodes.node(b), b, now);
      String named = av.map(NodeView::goal).map(Goal::getFailsafeStandby).filter(n -> !n.isEmpty())
          .orElse(ctx.evidenceOf(FENCE_A).getOrDefault("a_failsafe_standby", ""));
      FailsafeGuard.Decision known = FailsafeGuard.standbyNamed(a, named, b, Goals.applicationName(b), ack);
      if (d.mayPromote() && (ack || fs.mayPromote()) && known.mayPromote()) {
        Map<String, String> ev = new LinkedHashMap<>();
        ev.put("promote_not_before", d.notBefore().toString());
        ev.put("decided_at", now.toString());
        ev.put("fenced_acknowledged", String.valueOf(ack));
        ev.put("failsafe", ack ? "A acknowledged FENCED" : fs.reason());
        granted.ifPresent(e -> ev.put("a_lease_expired_at", e.toString()));
        // the slot verdict must be read while B is still a standby (its keeper stops at the promotion)
        nodes.node(b).map(NodeView::status).ifPresent(s -> {
          ev.put("b_replay_lsn", s.getReplayLsn());
          ev.put("b_slot_synced", String.valueOf(s.getSlotsList().stream()
              .anyMatch(sl -> sl.getName().equals(f.slot()) && sl.getSynced())));
        });
        return new StepResult("may promote " + b + ": " + d.reason(), ev);
      }
      ctx.progress(!d.mayPromote() ? d.reason() : !known.mayPromote() ? known.reason() : fs.reason());
      ctx.pause(POLL);
    }
  }

  /** B's side of the failsafe rule (docs/failsafe.md): its WAL receiver down for the failsafe window. */
  static FailsafeGuard.Decision failsafe(Optional<NodeView> bv, String b, Instant now) {
    Status s = bv.map(NodeView::status).orElse(null);
    return FailsafeGuard.decide(b, bv.map(NodeView::connected).orElse(false), s == null ? "" : s.getWalReceiverStatus(),
        s == null ? -1 : s.getWalReceiverDownMs(), s == null ? null : bv.get().lastSeen(), FailsafeTiming.window(), now);
  }

  static StepResult disableSubscription(StepContext ctx) throws Exception {
    Plan.Failover f = ctx.plan().failover();
    try (Connection t = Endpoints.target(ctx.plan()).connect(Purpose.CUTOVER)) {
      if (!SubscriptionRepoint.exists(t, f.subscription())) {
        return new StepResult("no subscription " + f.subscription() + " on the target yet: nothing to move",
            Map.of("subscription", "absent"));
      }
      boolean acted = SubscriptionRepoint.disable(t, f.subscription());
      return new StepResult("subscription " + f.subscription() + (acted ? " disabled" : " was already disabled"),
          Map.of("subscription", "disabled"));
    }
  }

  static StepResult promoteB(StepContext ctx, String a, String b) throws Exception {
    NodeDirectory nodes = ctx.ports().nodes();
    Goal held = nodes.node(b).map(NodeView::goal).orElse(null);
    if (held == null || held.getState() != NodeState.PRIMARY) {
      List<HbaRule> rules = nodes.node(a).map(NodeView::goal).map(Goal::getHbaRulesList).orElse(List.of());
      nodes.assign(b, Goal.newBuilder().setState(NodeState.PRIMARY).addAllHbaRules(rules).build());
    }
    String[] waiting = new String[1];
    try {
      Verdict.Ready r = Poll.until(Deadline.after(ctx.clock(), ctx.stepStartedAt(), PROMOTE_TIMEOUT), POLL, ctx::pause,
          b + " to be promoted", () -> {
            Verdict v = Decisions.promoted(nodes.node(b), b);
            if (v instanceof Verdict.Failed fl) {
              throw new JourneyException(fl.reason());
            }
            if (v instanceof Verdict.Ready ready) {
              return Optional.of(ready);
            }
            waiting[0] = ((Verdict.Waiting) v).progress();
            ctx.progress(waiting[0]);
            return Optional.empty();
          });
      return new StepResult(r.summary(), r.evidence());
    } catch (Poll.Timeout e) {
      throw new JourneyException(b + " not promoted within " + PROMOTE_TIMEOUT.toSeconds() + " s: " + waiting[0]);
    }
  }

  /** The switcher's own block, repoint and unblock lines; block and repoint only when the app does not point to B yet. */
  private static List<String> repointAppLines(AppSwitcher shown, DatabaseEndpoint target) {
    if (shown == null) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    lines.add("unless the app points to " + target.host() + " already:");
    shown.describeBlock().forEach(l -> lines.add("block: " + l));
    SwitchStep.describeRepoint(shown, target).forEach(l -> lines.add("repoint: " + l));
    shown.describeUnblock().forEach(l -> lines.add("unblock: " + l));
    return lines;
  }

  static StepResult repointApp(StepContext ctx, String b) throws Exception {
    AppSwitcher s = ctx.ports().switcher();
    NodeView view = ctx.ports().nodes().node(b).orElseThrow(() -> new JourneyException("unknown node " + b));
    DatabaseEndpoint target = Endpoints.app(ctx.plan(), view);
    DatabaseEndpoint before = s.current();
    if (!sameDatabase(before, target)) {
      s.blockWrites();
      s.repoint(target);
    }
    s.unblock();
    DatabaseEndpoint after = s.current();
    if (!sameDatabase(after, target)) {
      throw new JourneyException("repointed the app to " + target.redactedUrl() + " but " + s.name() + " reads back "
          + after.redactedUrl());
    }
    return new StepResult("app points to " + target.redactedUrl() + " (was " + before.redactedUrl() + ")",
        Map.of("endpoint", target.redactedUrl(), "previous", before.redactedUrl()));
  }

  static StepResult repointSubscription(StepContext ctx, String b) throws Exception {
    Plan.Failover f = ctx.plan().failover();
    if ("absent".equals(ctx.evidenceOf(DISABLE_SUBSCRIPTION).get("subscription"))) {
      return new StepResult("no subscription to move (LOGICAL_SETUP will create it on the new primary)", Map.of());
    }
    NodeView view = ctx.ports().nodes().node(b).orElseThrow(() -> new JourneyException("unknown node " + b));
    boolean proven = Boolean.parseBoolean(ctx.evidenceOf(WAIT_LEASE).getOrDefault("b_slot_synced", "false"));
    String dbname = ctx.plan().app().dbname();
    Map<String, String> ev0 = new LinkedHashMap<>();
    try (Connection t = Endpoints.target(ctx.plan()).connect(Purpose.CUTOVER);
         Connection bc = Endpoints.admin(ctx.plan(), view, dbname).connect(Purpose.ADMIN)) {
      String conninfo = SubscriptionRepoint.publisherConninfo(t, f.subscription(), view.hello().getHost(),
          view.hello().getPgPort());
      if (SynchronizedStandbySlots.clear(bc)) {
        ev0.put("cleared_synchronized_standby_slots", "true");
      }
      PositionCheck.Result check = PositionCheck.check(t, f.subscription(), bc, f.slot(), proven);
      Map<String, String> ev = new LinkedHashMap<>(ev0);
      ev.put("safe", String.valueOf(check.safe()));
      ev.put("reason", check.reason());
      ev.put("target_remote_lsn", check.remoteLsn().toString());
      ev.put("promotion_lsn", check.promotionLsn().toString());
      ev.put("slot_confirmed_flush_lsn", check.slotConfirmedFlushLsn().toString());
      if (!check.safe()) {
        ev.put("tables_at_risk", String.join(",", check.tablesAtRisk()));
        ev.put("resynced", String.join(",", TableResync.resync(t, f.subscription(), bc, f.slot(), conninfo,
            check.tablesAtRisk(), check.slotConfirmedFlushLsn().isValid())));
        LOG.warning("failover: slot position not proven safe (" + check.reason() + "): re-synced only "
            + check.tablesAtRisk());
        return new StepResult("subscription moved to " + b + "; position not proven safe (" + check.reason()
            + "): re-synced only " + check.tablesAtRisk(), ev);
      }
      SubscriptionRepoint.repoint(t, f.subscription(), conninfo);
      return new StepResult("subscription " + f.subscription() + " continues from " + b + " without a re-copy ("
          + check.reason() + ")", ev);
    }
  }

  private static boolean sameDatabase(DatabaseEndpoint a, DatabaseEndpoint b) {
    return a != null && a.host().equals(b.host()) && a.port() == b.port() && a.dbname().equals(b.dbname());
  }

  static boolean slotSynced(List<Slot> slots, String name) {
    return slots.stream().anyMatch(s -> s.getName().equals(name) && s.getSynced());
  }

  static Lsn lsn(String s) {
    return s == null || s.isEmpty() ? Lsn.INVALID : Lsn.parse(s);
  }
}
