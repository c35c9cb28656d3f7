package io.pgferry.controller.journey.steps;

import static io.pgferry.controller.journey.JourneyTable.C2_BLOCK_APP;
import static io.pgferry.controller.journey.JourneyTable.C2_DROP_SUBSCRIPTION;
import static io.pgferry.controller.journey.JourneyTable.C2_FENCE_A;
import static io.pgferry.controller.journey.JourneyTable.C2_MATVIEWS;
import static io.pgferry.controller.journey.JourneyTable.C2_READY;
import static io.pgferry.controller.journey.JourneyTable.C2_REPOINT;
import static io.pgferry.controller.journey.JourneyTable.C2_RESTART_APP;
import static io.pgferry.controller.journey.JourneyTable.C2_REVERSE;
import static io.pgferry.controller.journey.JourneyTable.C2_SEQUENCES;
import static io.pgferry.controller.journey.JourneyTable.C2_UNBLOCK;
import static io.pgferry.controller.journey.JourneyTable.C2_UNDO_LIFT_FENCE;
import static io.pgferry.controller.journey.JourneyTable.C2_UNDO_UNBLOCK;
import static io.pgferry.controller.journey.JourneyTable.C2_VERIFY;
import static io.pgferry.controller.journey.JourneyTable.C2_WAIT_APPLIED;
import static io.pgferry.controller.journey.JourneyTable.LS_DDL_CAPTURE;
import static io.pgferry.controller.journey.JourneyTable.LS_DDL_REPLAY;
import static io.pgferry.controller.journey.JourneyTable.LS_FINGERPRINT;
import static io.pgferry.controller.journey.JourneyTable.LS_HBA;
import static io.pgferry.controller.journey.JourneyTable.LS_PREFLIGHT;
import static io.pgferry.controller.journey.JourneyTable.LS_PUBLICATION;
import static io.pgferry.controller.journey.JourneyTable.LS_REPLICA_IDENTITY;
import static io.pgferry.controller.journey.JourneyTable.LS_ROLE;
import static io.pgferry.controller.journey.JourneyTable.LS_SCHEMA;
import static io.pgferry.controller.journey.JourneyTable.LS_TARGET_ROLES;
import static io.pgferry.controller.journey.JourneyTable.LS_SUBSCRIPTION;
import static io.pgferry.controller.journey.JourneyTable.LS_TABLE_COPY;
import static io.pgferry.controller.journey.JourneyTable.SYNC_POST_DATA;
import static io.pgferry.controller.journey.JourneyTable.SYNC_WAIT;
import static io.pgferry.controller.journey.steps.LogicalEndpoints.a;
import static io.pgferry.controller.journey.steps.LogicalEndpoints.aSeenByT;
import static io.pgferry.controller.journey.steps.LogicalEndpoints.t;

import io.pgferry.common.Deadline;
import io.pgferry.common.Lsn;
import io.pgferry.common.Poll;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.JourneyPorts;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.StepResult;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Durations;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.DatabaseFence;
import io.pgferry.controller.sql.copy.AgentHeldSnapshot;
import io.pgferry.controller.sql.copy.ControllerHeldSnapshot;
import io.pgferry.controller.sql.copy.CopyWithIndexes;
import io.pgferry.controller.sql.copy.SnapshotCopy;
import io.pgferry.controller.sql.copy.SnapshotHolder;
import io.pgferry.controller.sql.logical.CatchUp;
import io.pgferry.controller.sql.logical.DdlCapture;
import io.pgferry.controller.sql.logical.DdlLedger;
import io.pgferry.controller.sql.logical.DdlReplay;
import io.pgferry.controller.sql.logical.LogicalMetrics;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.controller.sql.logical.LogicalPreflight;
import io.pgferry.controller.sql.logical.MaterializedViewRefresh;
import io.pgferry.controller.sql.logical.PostDataBuild;
import io.pgferry.controller.sql.logical.PreflightReport;
import io.pgferry.controller.sql.logical.Publication;
import io.pgferry.controller.sql.logical.ReplicaIdentityFull;
import io.pgferry.controller.sql.logical.ReplicationRole;
import io.pgferry.controller.sql.logical.ReverseReplication;
import io.pgferry.controller.sql.logical.SchemaCopy;
import io.pgferry.controller.sql.logical.SchemaDrift;
import io.pgferry.controller.sql.logical.TargetAnalyze;
import io.pgferry.controller.sql.logical.SchemaFingerprint;
import io.pgferry.controller.sql.logical.Subscription;
import io.pgferry.controller.sql.logical.SubscriptionTeardown;
import io.pgferry.controller.sql.logical.SyncProgress;
import io.pgferry.controller.sql.logical.SyncSnapshot;
import io.pgferry.controller.sql.logical.TargetRoles;
import io.pgferry.controller.sql.sequences.SequenceReport;
import io.pgferry.controller.sql.sequences.SequenceSync;
import io.pgferry.controller.sql.verify.Verifier;
import io.pgferry.controller.sql.verify.VerifyReport;
import io.pgferry.controller.switching.AppRestart;
import io.pgferry.controller.switching.DatabaseEndpoint;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The steps of LOGICAL_SETUP, LOGICAL_SYNC and CUTOVER_2 (issue 5), each around one capability of
 * io.pgferry.controller.sql.logical / .verify / .sequences. Endpoints are resolved when a step runs (A from its
 * Hello, T from target.url); `pgferry plan` shows the same SQL with placeholders.
 */
final class LogicalSteps {
  private static final LogicalNames NAMES = LogicalNames.DEFAULT;

  private LogicalSteps() {}

  static void build(Plan plan, JourneyPorts ports, Optional<NodeView> aView, Optional<NodeView> bView,
                    Map<String, Step> steps) {
    Plan.Logical l = plan.logical();
    String aId = plan.nodes().archiveReplica();
    String bId = plan.nodes().standby();
    PgEndpoint aShown = LogicalEndpoints.aShown(plan, aView);
    PgEndpoint tShown = LogicalEndpoints.tShown(plan);
    PgEndpoint replShown = aShown.withUser(l.replicationRole(), "***");
    var rif = LogicalEndpoints.replicaIdentityFull(plan);

    List<String> preflightLines = new ArrayList<>(new LogicalPreflight(aShown, tShown, preflightOptions(plan)).describe());
    preflightLines.add(WalWatch.describePreflight(plan.walSafety()));
    steps.put(LS_PREFLIGHT, new FnStep(LS_PREFLIGHT, preflightLines, ctx -> {
      PreflightReport r = new LogicalPreflight(a(ctx), t(ctx.plan()), preflightOptions(ctx.plan())).run();
      if (!r.ok()) {
        throw new JourneyException(r.format());
      }
      return new StepResult(r.format().strip() + "\n" + WalWatch.preflight(ctx), Map.of("findings", String.valueOf(r.findings().size())));
    }));
    steps.put(JourneyTable.LS_CONTROLLER_ROLE, ControllerRoleStep.of(plan, aShown));

    if (l.targetAddress().isEmpty()) {
      steps.put(LS_HBA, new FnStep(LS_HBA, List.of("no logical.target_address: no pg_hba entry is added for T; A's pg_hba must already admit "
          + l.replicationRole() + " from T"), ctx -> StepResult.of("no logical.target_address: A's pg_hba left as it is")));
    } else {
      HbaRule rule = new ReplicationRole(aShown, l.replicationRole(), null).hbaRule(l.targetAddress(), Goals.passwordMethod(plan));
      steps.put(LS_HBA, new AssignGoalStep(LS_HBA, aId, ctx -> withRule(Goals.primary(ctx.plan(), Goals.node(ctx.ports().nodes(), bId)), rule),
          List.of("goal of " + aId + " := " + JourneySteps.goalText(withRule(Goals.primary(plan, bView), rule), bId))));
    }
    steps.put(LS_REPLICA_IDENTITY, new SqlActionStep(LS_REPLICA_IDENTITY, ctx -> new ReplicaIdentityFull(a(ctx), rif),
        rif.isEmpty() ? List.of("nothing: the plan lists no replica_identity_full tables") : new ReplicaIdentityFull(aShown, rif).describe()));
    steps.put(LS_ROLE, new SqlActionStep(LS_ROLE, ctx -> new ReplicationRole(a(ctx), ctx.plan().logical().replicationRole(),
        LogicalEndpoints.replicationPassword(ctx.plan())), new ReplicationRole(aShown, l.replicationRole(), null).describe()));
    steps.put(LS_TARGET_ROLES, new SqlActionStep(LS_TARGET_ROLES, ctx -> new TargetRoles(a(ctx), t(ctx.plan()),
        ctx.plan().logical().replicationRole(), ctx.plan().app().user(), LogicalEndpoints.appPassword(ctx.plan())),
        new TargetRoles(aShown, tShown, l.replicationRole(), plan.app().user(), null).describe()));
    boolean snapshotCopy = l.copyMethod() == Plan.Logical.CopyMethod.SNAPSHOT;
    // the snapshot copy builds each table's key after its rows are in (apply starts after the copy); the subscription's own copy applies while it copies
    steps.put(LS_SCHEMA, new SqlActionStep(LS_SCHEMA, ctx -> new SchemaCopy(a(ctx), t(ctx.plan()), Path.of(ctx.plan().logical().clientBinDir()), !snapshotCopy),
        new SchemaCopy(aShown, tShown, Path.of(l.clientBinDir()), !snapshotCopy).describe()));
    steps.put(LS_PUBLICATION, new SqlActionStep(LS_PUBLICATION, ctx -> new Publication(a(ctx), NAMES.publication(), List.of()),
        new Publication(aShown, NAMES.publication(), List.of()).describe()));
    steps.put(LS_DDL_CAPTURE, new SqlActionStep(LS_DDL_CAPTURE, ctx -> new DdlCapture(a(ctx), ctx.plan().logical().replicationRole()),
        new DdlCapture(aShown, l.replicationRole()).describe()));
    steps.put(LS_DDL_REPLAY, new SqlActionStep(LS_DDL_REPLAY, ctx -> new DdlReplay(t(ctx.plan())), new DdlReplay(tShown).describe()));
    steps.put(LS_TABLE_COPY, snapshotCopy ? new FnStep(LS_TABLE_COPY, withIndexes(plan, aShown, tShown, tableCopy(plan, aShown, tShown, null, false)
        .heldBy(snapshotHolder(ports == null ? null : ports.nodes(), aId, aView.orElse(null), aShown, plan))).describe(), LogicalSteps::copyTables)
        : new FnStep(LS_TABLE_COPY, List.of("nothing: logical.copy_method is subscription (the subscription's table sync workers copy)"),
            ctx -> StepResult.of("logical.copy_method subscription: the subscription copies")));
    Subscription shownSub = new Subscription(tShown, replShown, NAMES.subscription(), NAMES.slot(), NAMES.publication(), true, l.failoverSlots())
        .withApplyOptions(0);
    steps.put(LS_SUBSCRIPTION, new FnStep(LS_SUBSCRIPTION,
        (snapshotCopy ? SnapshotCopy.thenDropLedger(shownSub.onExistingSlot(), tShown) : shownSub).describe(), ctx -> subscribe(ctx, snapshotCopy)));
    steps.put(LS_FINGERPRINT, new FnStep(LS_FINGERPRINT, List.of("on A: read the columns, types and constraints of every user table "
        + "(kept in the journal; LOGICAL_SYNC and CUTOVER_2 compare A's schema with it)"), ctx -> {
      SchemaFingerprint f = SchemaFingerprint.of(a(ctx));
      return new StepResult("schema fingerprint of A: " + f.lines().size() + " lines, sha256 " + f.sha256(),
          Map.of("fingerprint", f.text(), "sha256", f.sha256()));
    }));

    steps.put(JourneyTable.LS_STANDBY_SLOT, StandbySlotSetup.step(plan));

    List<String> postLines = new ArrayList<>(List.of("until every table is ready (r) in pg_subscription_rel: its rows copied into bare "
        + (snapshotCopy ? "tables (each table's indexes and non-FK constraints were built beside the copy: the rest is built here)"
        : "tables (only primary keys and replica identity indexes exist on T yet)")));
    List<String> build = postData(plan, aShown, tShown).describe();
    postLines.add(build.get(0));
    postLines.add("then until T ran every DDL statement recorded on A so far (what carried DDL made is T's to make, not the build's)");
    postLines.addAll(build.subList(1, build.size()));
    steps.put(SYNC_POST_DATA, new FnStep(SYNC_POST_DATA, postLines, LogicalSteps::buildPostData));

    List<String> syncLines = new ArrayList<>(SyncProgress.describe(NAMES));
    syncLines.addAll(DdlLedger.describe());
    syncLines.add("until every table is ready (r) and lag <= " + plan.thresholds().maxLagBytes() + " bytes and every DDL statement "
        + "recorded on A is applied (or skipped) on T and A's schema has no drift "
        + "unresolved on T (timeout " + Durations.format(l.syncTimeout()) + "); alert when the slot keeps more than "
        + l.retainedWalAlertBytes() + " bytes of WAL on A");
    syncLines.addAll(WalWatch.describe(plan.walSafety()));
    steps.put(JourneyTable.SYNC_WAIT, new FnStep(SYNC_WAIT, syncLines, LogicalSteps::waitSynced));
    steps.put(JourneyTable.SYNC_ANALYZE, new FnStep(JourneyTable.SYNC_ANALYZE, new TargetAnalyze(tShown).describe(), ctx -> {
      TargetAnalyze.Result r = new TargetAnalyze(t(ctx.plan())).run();
      return new StepResult(r.sentence(), r.evidence());
    }));

    steps.put(C2_READY, new FnStep(C2_READY, List.of("check: every table ready, lag <= " + plan.thresholds().maxLagBytes()
        + " bytes, every DDL statement recorded on A applied (or skipped) on T, no unresolved schema drift; nothing is blocked yet,"
        + " so it asks again until cutover_2_timeout (" + Durations.format(l.cutover2Timeout()) + ": e.g. a table a release created"
        + " while the journey held is still being copied)"), LogicalSteps::checkReady));
    steps.put(C2_BLOCK_APP, SwitchStep.block(C2_BLOCK_APP, ports.switcher()));
    DatabaseFence shownFence = fence(plan, aShown);
    steps.put(C2_FENCE_A, new FnStep(C2_FENCE_A, shownFence.describe(plan.app().dbname()).stream().map(x -> "on A: " + x).toList(), ctx -> {
      DatabaseFence.Report r = fence(ctx.plan(), a(ctx)).fence();
      return new StepResult(r.summary(), Map.of("lsn", r.quietLsn() == null ? "" : r.quietLsn().toString()));
    }));
    CatchUp shownCatchUp = new CatchUp(aShown, tShown, NAMES);
    List<String> waitLines = new ArrayList<>(shownCatchUp.describe());
    waitLines.add("poll every " + JourneySteps.CUTOVER_POLL.toMillis() + " ms (timeout " + Durations.format(l.cutover2Timeout()) + ")");
    steps.put(C2_WAIT_APPLIED, new FnStep(C2_WAIT_APPLIED, waitLines, LogicalSteps::waitApplied));
    steps.put(C2_VERIFY, new FnStep(C2_VERIFY, new Verifier(aShown, tShown, l.verify(), l.verifyChunkRows()).describe(), ctx -> {
      VerifyReport r = new Verifier(a(ctx), t(ctx.plan()), ctx.plan().logical().verify(), ctx.plan().logical().verifyChunkRows()).run();
      String source = LogicalEndpoints.publisherName(ctx);
      if (!r.ok()) {
        throw new JourneyException(r.format(source));
      }
      return new StepResult(r.format(source).strip(), Map.of("tables", String.valueOf(r.tables().size()),
          "mismatched_tables", String.valueOf(r.mismatched().size())));
    }));
    steps.put(C2_SEQUENCES, new FnStep(C2_SEQUENCES, new SequenceSync(aShown, tShown).describe(), ctx -> {
      SequenceReport r = new SequenceSync(a(ctx), t(ctx.plan())).run();
      if (!r.ok()) {
        throw new JourneyException(r.toString());
      }
      return new StepResult(r.toString(), Map.of("checked", String.valueOf(r.checked()), "mismatched", String.valueOf(r.mismatched()),
          "set", String.valueOf(r.set().size())));
    }));
    steps.put(C2_MATVIEWS, new SqlActionStep(C2_MATVIEWS, ctx -> new MaterializedViewRefresh(t(ctx.plan())),
        new MaterializedViewRefresh(tShown).describe()));
    steps.put(C2_DROP_SUBSCRIPTION, new SqlActionStep(C2_DROP_SUBSCRIPTION, ctx -> new SubscriptionTeardown(t(ctx.plan()), a(ctx), NAMES, null),
        new SubscriptionTeardown(tShown, aShown, NAMES, null).describe()));
    if (l.reverseReplication()) {
      steps.put(C2_REVERSE, new SqlActionStep(C2_REVERSE, ctx -> new ReverseReplication(t(ctx.plan()), a(ctx),
          LogicalEndpoints.tSeenByA(ctx.plan()), LogicalNames.REVERSE,
          LogicalEndpoints.replicationPassword(ctx.plan())), new ReverseReplication(tShown, aShown, null, LogicalNames.REVERSE, null).describe()));
    } else {
      steps.put(C2_REVERSE, new FnStep(C2_REVERSE, List.of("nothing: logical.reverse_replication is off (no rollback to A after this)"),
          ctx -> StepResult.of("reverse replication off")));
    }
    steps.put(C2_REPOINT, new FnStep(C2_REPOINT, ports.switcher() == null ? List.of()
        : SwitchStep.describeRepoint(ports.switcher(), appEndpoint(plan, tShown)), LogicalSteps::repoint));
    steps.put(C2_RESTART_APP, restartApp(plan));
    steps.put(C2_UNBLOCK, SwitchStep.unblock(C2_UNBLOCK, ports.switcher()));
    steps.put(C2_UNDO_LIFT_FENCE, new FnStep(C2_UNDO_LIFT_FENCE, List.of("on A: ALTER DATABASE/ROLE ... RESET default_transaction_read_only; "
        + "end the app role's sessions opened while fenced"), ctx -> StepResult.of(fence(ctx.plan(), a(ctx)).lift().summary())));
    steps.put(C2_UNDO_UNBLOCK, SwitchStep.unblock(C2_UNDO_UNBLOCK, ports.switcher()));
  }

  /** Runs switch.app_restart where the plan has one; Heroku's repoint restarted the dynos already. */
  private static FnStep restartApp(Plan plan) {
    Plan.Switch sw = plan.switchSpec();
    if (sw.type() == Plan.SwitchType.HEROKU) {
      return new FnStep(C2_RESTART_APP, List.of("nothing: the config var change restarted the dynos"),
          ctx -> StepResult.of("Heroku restarted the dynos with the config var change"));
    }
    if (!sw.restartsApp()) {
      return new FnStep(C2_RESTART_APP, List.of("nothing: no switch.app_restart (app.oids_cached_by_app is "
          + plan.app().oidsCachedByApp() + ")"), ctx -> StepResult.of("no switch.app_restart: the app was not restarted"));
    }
    AppRestart restart = new AppRestart(sw.appRestart(), sw.appRestartTimeout());
    return new FnStep(C2_RESTART_APP, restart.describe(), ctx -> {
      AppRestart.Result r = restart.run();
      return new StepResult(r.sentence(), Map.of("ok", String.valueOf(r.ok()), "seconds",
          String.format(Locale.ROOT, "%.3f", r.seconds())));
    });
  }

  private static LogicalPreflight.Options preflightOptions(Plan plan) {
    return new LogicalPreflight.Options(LogicalEndpoints.replicaIdentityFull(plan), true, plan.logical().reverseReplication(), NAMES);
  }

  private static Goal withRule(Goal g, HbaRule rule) {
    return g.getHbaRulesList().contains(rule) ? g : g.toBuilder().addHbaRules(rule).build();
  }

  /** Creates the subscription unless it exists, and records the apply options it has. */
  private static StepResult subscribe(StepContext ctx, boolean snapshotCopy) throws Exception {
    Subscription s = subscription(ctx);
    boolean created = (snapshotCopy ? SnapshotCopy.thenDropLedger(s, t(ctx.plan())) : s).run();
    String options = s.applyOptions().sentence();
    return new StepResult("subscription " + NAMES.subscription() + (created ? " created: " : " exists already: ") + options,
        Map.of("created", String.valueOf(created), "apply_options", options));
  }

  private static Subscription subscription(StepContext ctx) throws JourneyException {
    Plan.Logical l = ctx.plan().logical();
    String pw = LogicalEndpoints.replicationPassword(ctx.plan());
    boolean failoverSlots = failoverSlots(ctx);
    Subscription s = new Subscription(t(ctx.plan()), aSeenByT(ctx).withUser(l.replicationRole(), pw), NAMES.subscription(), NAMES.slot(),
        NAMES.publication(), true, failoverSlots).withApplyOptions(LogicalEndpoints.publisherMajor(ctx));
    return l.copyMethod() == Plan.Logical.CopyMethod.SNAPSHOT ? s.onExistingSlot() : s;
  }

  /** A PostgreSQL 17 failover slot: A and T both on 17+ (StandbySlotSetup). */
  private static boolean failoverSlots(StepContext ctx) throws JourneyException {
    try {
      return StandbySlotSetup.failoverSlots(LogicalEndpoints.publisherMajor(ctx), StandbySlotSetup.targetMajor(ctx.plan()));
    } catch (SQLException e) {
      throw new JourneyException("target: cannot read its version: " + e.getMessage());
    }
  }

  private static SnapshotCopy tableCopy(Plan plan, PgEndpoint a, PgEndpoint t, StepContext ctx, boolean failoverSlot) {
    Plan.Logical l = plan.logical();
    long[] last = {0};
    return new SnapshotCopy(a, t, NAMES.slot(), NAMES.publication(), NAMES.subscription(),
        new SnapshotCopy.Options(l.tableJobs(), l.splitLargerThanBytes(), failoverSlot), ctx == null ? null : v -> {
          long now = System.nanoTime();
          if (v.finished() || now - last[0] > 2_000_000_000L) { // at most every 2 s: the status line, not the journal
            last[0] = now;
            ctx.progress(v.bar(30) + " " + v.sentence());
          }
        }, ctx == null ? Clock.systemUTC() : ctx.clock());
  }

  /**
   * Who holds the copy's snapshot: the publisher's agent when its Hello says it can (a controller restart then resumes
   * the copy), else this process. `pgferry plan` before the agent's Hello shows the agent.
   */
  private static SnapshotHolder snapshotHolder(NodeDirectory nodes, String publisherId, NodeView publisher, PgEndpoint a, Plan plan) {
    boolean unknown = publisher == null || publisher.hello() == null; // only when describing: a(ctx) needs the Hello
    return unknown || AgentHeldSnapshot.supported(publisher)
        ? new AgentHeldSnapshot(nodes, publisherId, NAMES.slot(), plan.app().dbname(), AgentHeldSnapshot.Waits.DEFAULTS)
        : new ControllerHeldSnapshot(a, NAMES.slot());
  }

  /** The copy with each table's indexes built beside it, on logical.index_jobs sessions. */
  private static CopyWithIndexes withIndexes(Plan plan, PgEndpoint a, PgEndpoint t, SnapshotCopy copy) {
    Plan.Logical l = plan.logical();
    return new CopyWithIndexes(copy, a, t, Path.of(l.clientBinDir()), l.indexJobs(), l.indexMaintenanceWorkMem());
  }

  /** The initial copy under the slot's exported snapshot (issue 15); the subscription step then starts apply on that slot. */
  private static StepResult copyTables(StepContext ctx) throws Exception {
    String publisherId = LogicalEndpoints.publisherId(ctx);
    PgEndpoint a = a(ctx);
    SnapshotHolder holder = snapshotHolder(ctx.ports().nodes(), publisherId, Goals.node(ctx.ports().nodes(), publisherId).orElse(null),
        a, ctx.plan());
    CopyWithIndexes.Result both = withIndexes(ctx.plan(), a, t(ctx.plan()), tableCopy(ctx.plan(), a, t(ctx.plan()), ctx,
        failoverSlots(ctx)).heldBy(holder)).run();
    SnapshotCopy.Result r = both.copy();
    if (r.restarted()) {
      ctx.warn("the snapshot of an earlier copy could not be imported (" + (holder instanceof AgentHeldSnapshot
          ? publisherId + "'s agent no longer holds it: A or its agent restarted, or the attempt failed" : "the controller held it and restarted")
          + "): slot " + NAMES.slot() + " dropped, the copied tables emptied on T, copying afresh");
    }
    if (r.resumed()) {
      ctx.progress("resumed the copy under snapshot " + r.snapshot() + ", still held by " + (holder instanceof AgentHeldSnapshot
          ? publisherId + "'s agent" : "this controller") + ": " + r.doneBefore()
          + " of " + r.items() + " tables and ranges were done before and not copied again");
    }
    return new StepResult(both.sentence(), both.evidence());
  }

  private static DatabaseFence fence(Plan plan, PgEndpoint a) {
    Duration quiet = plan.logical().cutover2Timeout().dividedBy(2).compareTo(Duration.ofSeconds(30)) < 0
        ? plan.logical().cutover2Timeout().dividedBy(2) : Duration.ofSeconds(30);
    return new DatabaseFence(() -> a.connect(Purpose.FENCE), DatabaseFence.Options.of(plan.app().user()).quiet(DatabaseFence.CUTOVER_QUIET_INTERVAL, quiet));
  }

  private record Sync(SyncSnapshot snapshot, DdlLedger.State ddl, SchemaDrift drift, String line) {}

  private static Sync sync(StepContext ctx, SyncProgress progress) throws Exception {
    SyncSnapshot s = progress.snapshot();
    LogicalMetrics.record(NAMES.slot(), s);
    PgEndpoint a = a(ctx);
    String recorded = ctx.evidenceOf(LS_FINGERPRINT).get("fingerprint");
    SchemaDrift drift = recorded == null ? new SchemaDrift(List.of(), List.of())
        : SchemaDrift.between(SchemaFingerprint.parse(recorded), SchemaFingerprint.of(a)).unresolvedOn(SchemaFingerprint.of(t(ctx.plan())));
    DdlLedger ledger = ledger(ctx, a);
    List<String> newTables = ledger.refreshForNewTables();
    if (!newTables.isEmpty()) {
      ctx.progress("carried DDL created " + String.join(", ", newTables) + " on T: subscription refreshed (copied, then followed)");
    }
    DdlLedger.State ddl = ledger.state();
    String publisher = LogicalEndpoints.publisherName(ctx);
    String line = s.sentence(publisher) + (s.retainedWalAlert(ctx.plan().logical().retainedWalAlertBytes())
        ? "; ALERT: the slot keeps " + s.retainedWalBytes() + " bytes of WAL on " + publisher : "") + (ddl.recorded() == 0 ? "" : "; " + ddl.sentence())
        + (drift.none() ? "" : "; " + drift.warning(publisher));
    return new Sync(s, ddl, drift, line);
  }

  private static DdlLedger ledger(StepContext ctx, PgEndpoint publisher) {
    return new DdlLedger(publisher, t(ctx.plan()), new LogicalNames(NAMES.publication(), NAMES.subscription(), NAMES.slot(),
        ctx.plan().logical().replicationRole()));
  }

  /** T's sync now, in the words of LOGICAL_SYNC's progress line (shown while the journey holds before cutover 2). */
  static String syncNow(StepContext ctx) throws Exception {
    return sync(ctx, new SyncProgress(a(ctx), t(ctx.plan()), NAMES, ctx.clock())).line();
  }

  private static PostDataBuild postData(Plan plan, PgEndpoint a, PgEndpoint t, Consumer<String> progress) {
    Plan.Logical l = plan.logical();
    return new PostDataBuild(a, t, Path.of(l.clientBinDir()), l.indexJobs(), l.indexMaintenanceWorkMem(), progress);
  }

  private static PostDataBuild postData(Plan plan, PgEndpoint a, PgEndpoint t) {
    return postData(plan, a, t, null);
  }

  /** Waits for the initial copy of every table, then builds the rest of A's schema on T. */
  private static StepResult buildPostData(StepContext ctx) throws Exception {
    SyncProgress progress = new SyncProgress(a(ctx), t(ctx.plan()), NAMES, ctx.clock());
    Duration timeout = ctx.plan().logical().syncTimeout();
    Deadline deadline = Deadline.after(ctx.clock(), ctx.stepStartedAt(), timeout);
    String[] last = {"no reading yet"};
    try {
      Poll.until(deadline, ctx.plan().thresholds().pollInterval(), ctx::pause, "initial copy", () -> {
        try {
          Sync s = sync(ctx, progress);
          last[0] = s.line();
          ctx.progress(last[0]);
          return s.snapshot().allReady() ? Optional.of(s) : Optional.empty();
        } catch (SQLException e) {
          ctx.progress("cannot read sync progress (" + e.getMessage() + "); asking again");
          return Optional.empty();
        }
      });
    } catch (Poll.Timeout e) {
      throw new JourneyException("initial copy not done after " + Durations.format(timeout) + ": " + last[0]);
    }
    PostDataBuild.Result r = postData(ctx.plan(), a(ctx), t(ctx.plan()), ctx::progress)
        .afterDump(() -> awaitCarriedDdl(ctx, deadline)).run();
    return new StepResult(r.sentence(), r.evidence());
  }

  /**
   * Waits until T ran every DDL statement the publisher recorded so far (the app may ship a release at any time, on
   * A or, after a failover, on B): what such a statement made is in the post-data just dumped, and T makes it itself.
   */
  private static void awaitCarriedDdl(StepContext ctx, Deadline deadline) throws Exception {
    String[] seen = {"no reading yet"};
    try {
      ledger(ctx, a(ctx)).awaitRecordedSoFar(deadline, ctx.plan().thresholds().pollInterval(), ctx::pause, sentence -> {
        seen[0] = sentence;
        ctx.progress("post-data waits for T to run the DDL recorded before A's post-data was read: " + sentence);
      });
    } catch (Poll.Timeout e) {
      throw new JourneyException("post-data: T did not run the DDL recorded before A's post-data was read within "
          + Durations.format(ctx.plan().logical().syncTimeout()) + " of the step's start: " + seen[0]);
    }
  }

  private static StepResult waitSynced(StepContext ctx) throws Exception {
    SyncProgress progress = new SyncProgress(a(ctx), t(ctx.plan()), NAMES, ctx.clock());
    WalWatch wal = new WalWatch(ctx.plan().walSafety(), NAMES);
    Duration timeout = ctx.plan().logical().syncTimeout();
    String[] last = {"no reading yet"};
    try {
      return Poll.until(Deadline.after(ctx.clock(), ctx.stepStartedAt(), timeout), ctx.plan().thresholds().pollInterval(), ctx::pause,
          "logical sync", () -> {
            try {
              Sync s = sync(ctx, progress);
              last[0] = s.line() + wal.check(ctx);
              ctx.progress(last[0]);
              if (s.snapshot().caughtUp(ctx.plan().thresholds().maxLagBytes()) && s.ddl().allApplied() && s.drift().none()) {
                return Optional.of(new StepResult(last[0], Map.of("lag_bytes", String.valueOf(s.snapshot().lagBytes()),
                    "tables", String.valueOf(s.snapshot().tables().size()), "ddl_recorded", String.valueOf(s.ddl().recorded()),
                    "ddl_applied", String.valueOf(s.ddl().applied()))));
              }
            } catch (SQLException e) {
              // the publisher may be down for good: the controller loop decides that, this wait only keeps asking
              ctx.progress("cannot read sync progress (" + e.getMessage() + "); asking again");
            }
            return Optional.empty();
          });
    } catch (Poll.Timeout e) {
      throw new JourneyException("logical sync not done after " + Durations.format(timeout) + ": " + last[0]);
    }
  }

  private static StepResult checkReady(StepContext ctx) throws Exception {
    SyncProgress progress = new SyncProgress(a(ctx), t(ctx.plan()), NAMES, ctx.clock());
    Duration timeout = ctx.plan().logical().cutover2Timeout();
    String[] last = {"no reading yet"};
    try {
      return Poll.until(Deadline.after(ctx.clock(), ctx.stepStartedAt(), timeout), ctx.plan().thresholds().pollInterval(), ctx::pause,
          "T ready for cutover 2", () -> {
            Sync s = sync(ctx, progress);
            last[0] = s.line();
            ctx.progress(last[0]);
            return s.snapshot().caughtUp(ctx.plan().thresholds().maxLagBytes()) && s.ddl().allApplied() && !s.drift().blocksCutover()
                ? Optional.of(StepResult.of(s.line())) : Optional.empty();
          });
    } catch (Poll.Timeout e) {
      throw new JourneyException("not ready for cutover 2 after " + Durations.format(timeout) + ": " + last[0]);
    }
  }

  private static StepResult waitApplied(StepContext ctx) throws Exception {
    CatchUp catchUp = new CatchUp(a(ctx), t(ctx.plan()), NAMES);
    Lsn target = catchUp.publisherLsn();
    String pub = LogicalEndpoints.publisherName(ctx) + "'s ";
    Duration timeout = ctx.plan().logical().cutover2Timeout();
    Lsn[] applied = new Lsn[1];
    try {
      Poll.untilTrue(Deadline.after(ctx.clock(), ctx.stepStartedAt(), timeout), JourneySteps.CUTOVER_POLL, ctx::pause,
          "T to apply " + pub + target, () -> {
            applied[0] = catchUp.applied();
            if (applied[0].compareTo(target) >= 0) {
              return true;
            }
            ctx.progress("T applied " + applied[0] + " of " + pub + target + " (" + target.bytesAfter(applied[0]) + " bytes behind)");
            return false;
          });
    } catch (Poll.Timeout e) {
      throw new JourneyException("T did not apply " + pub + target + " within " + Durations.format(timeout) + " (at " + applied[0] + ")");
    }
    return new StepResult("T applied " + pub + target + " (confirmed " + applied[0] + ")", Map.of("target_lsn", target.toString(),
        "applied_lsn", applied[0].toString()));
  }

  /** T as the app reaches it: T's address and database, the app's user. */
  private static DatabaseEndpoint appEndpoint(Plan plan, PgEndpoint t) {
    return new DatabaseEndpoint(t.host(), t.port(), t.database(), plan.app().user(), plan.app().password());
  }

  private static StepResult repoint(StepContext ctx) throws Exception {
    DatabaseEndpoint target = appEndpoint(ctx.plan(), t(ctx.plan()));
    var s = ctx.ports().switcher();
    DatabaseEndpoint before = s.current();
    if (!target.equals(before)) {
      s.repoint(target);
    }
    DatabaseEndpoint after = s.current();
    if (after == null || !after.host().equals(target.host()) || after.port() != target.port() || !after.dbname().equals(target.dbname())) {
      throw new JourneyException("repointed the app to " + target.redactedUrl() + " but " + s.name() + " reads back "
          + (after == null ? "nothing" : after.redactedUrl()));
    }
    return new StepResult("app points to " + target.redactedUrl() + " (was " + (before == null ? "?" : before.redactedUrl()) + ")",
        Map.of("endpoint", target.redactedUrl()));
  }
}
