package io.pgferry.controller.journey;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.pgferry.controller.journey.LossRoute.Route;
import io.pgferry.controller.pg.ControllerRole;

/** The journey as data: one {@link PhaseRule} per phase. The engine, `pgferry plan` and the status page read it. */
public final class JourneyTable {
  public static final String PREFLIGHT_CHECKS = "preflight.checks";
  public static final String A_ASSIGN = "archive_replica.assign_goal";
  public static final String A_CAUGHT_UP = "archive_replica.wait_caught_up";
  public static final String B_ASSIGN = "standby.assign_goal";
  public static final String B_STREAMING = "standby.wait_streaming";
  public static final String C1_READY = "cutover_1.check_ready";
  public static final String C1_COLLATION = "cutover_1.check_collation";
  public static final String C1_BLOCK_APP = "cutover_1.block_app";
  public static final String C1_FENCE_SOURCE = "cutover_1.fence_source";
  public static final String C1_FINAL_LSN = "cutover_1.read_final_lsn";
  public static final String C1_WAIT_REPLAYED = "cutover_1.wait_replayed";
  public static final String C1_PROMOTE = "cutover_1.promote_a";
  public static final String C1_LIFT_INHERITED_FENCE = "cutover_1.lift_fence_on_a";
  public static final String C1_REINDEX = "cutover_1.reindex_on_a";
  public static final String C1_REPOINT = "cutover_1.repoint_app";
  public static final String C1_UNBLOCK = "cutover_1.unblock_app";
  public static final String C1_B_FOLLOWS = "cutover_1.wait_standby_follows";
  public static final String C1_UNDO_LIFT_FENCE = "cutover_1.undo.lift_fence";
  public static final String C1_UNDO_UNBLOCK = "cutover_1.undo.unblock_app";

  public static final String FO_FENCE_A = "failover.fence_a";
  public static final String FO_PAUSE_APP = "failover.pause_app";
  public static final String FO_WAIT_LEASE = "failover.wait_lease_expiry";
  public static final String FO_DISABLE_SUBSCRIPTION = "failover.disable_subscription";
  public static final String FO_PROMOTE_B = "failover.promote_b";
  public static final String FO_REPOINT_APP = "failover.repoint_app";
  public static final String FO_REPOINT_SUBSCRIPTION = "failover.repoint_subscription";
  public static final String FO_UNDO_UNPAUSE = "failover.undo.unpause_app";
  public static final String FO_CONTROLLER_ROLE = "failover.controller_role";
  public static final String LS_PREFLIGHT = "logical_setup.preflight";
  public static final String LS_CONTROLLER_ROLE = ControllerRole.CREATED_BY_STEP;
  public static final String LS_HBA = "logical_setup.hba_for_target";
  public static final String LS_REPLICA_IDENTITY = "logical_setup.replica_identity";
  public static final String LS_ROLE = "logical_setup.replication_role";
  public static final String LS_TARGET_ROLES = "logical_setup.target_roles";
  public static final String LS_SCHEMA = "logical_setup.schema_copy";
  public static final String LS_PUBLICATION = "logical_setup.publication";
  public static final String LS_DDL_CAPTURE = "logical_setup.ddl_capture";
  public static final String LS_DDL_REPLAY = "logical_setup.ddl_replay";
  public static final String LS_TABLE_COPY = "logical_setup.table_copy";
  public static final String LS_SUBSCRIPTION = "logical_setup.subscription";
  public static final String LS_FINGERPRINT = "logical_setup.schema_fingerprint";
  public static final String LS_STANDBY_SLOT = "logical_setup.standby_slot";
  public static final String SYNC_POST_DATA = "logical_sync.post_data";
  public static final String SYNC_WAIT = "logical_sync.wait_ready";
  public static final String SYNC_ANALYZE = "logical_sync.analyze";
  public static final String C2_READY = "cutover_2.check_ready";
  public static final String C2_BLOCK_APP = "cutover_2.block_app";
  public static final String C2_FENCE_A = "cutover_2.fence_a";
  public static final String C2_WAIT_APPLIED = "cutover_2.wait_applied";
  public static final String C2_VERIFY = "cutover_2.verify";
  public static final String C2_SEQUENCES = "cutover_2.sequences";
  public static final String C2_MATVIEWS = "cutover_2.refresh_matviews";
  public static final String C2_DROP_SUBSCRIPTION = "cutover_2.drop_subscription";
  public static final String C2_REVERSE = "cutover_2.reverse_replication";
  public static final String C2_REPOINT = "cutover_2.repoint_app";
  public static final String C2_RESTART_APP = "cutover_2.restart_app";
  public static final String C2_UNBLOCK = "cutover_2.unblock_app";
  public static final String C2_UNDO_LIFT_FENCE = "cutover_2.undo.lift_fence_a";
  public static final String C2_UNDO_UNBLOCK = "cutover_2.undo.unblock_app";

  public static final String FIN_DROP_SUBSCRIPTION = "finish.drop_subscription";
  public static final String FIN_STOP_STANDBY = "finish.stop_standby";
  public static final String FIN_DROP_SLOTS = "finish.drop_slots_and_publication";
  public static final String FIN_STOP_PRIMARY = "finish.stop_old_primary";

  /**
   * `pgferry finish`, after DONE: not a phase of the journey but steps journaled (under DONE) as the phases' are, so
   * running it again skips what is done.
   */
  public static final PhaseRule FINISH = new PhaseRule(Phase.DONE, "the journey finished (the app writes to the target)",
      List.of(FIN_DROP_SUBSCRIPTION, FIN_STOP_STANDBY, FIN_DROP_SLOTS, FIN_STOP_PRIMARY),
      "no subscription on the target; no pgferry slot or publication on the old primary; A and B stopped", Phase.DONE);

  private static final String UNBLOCK_FAILED = "the app stays blocked until `pgferry resume` unblocks it";

  private static final Map<Phase, PhaseRule> RULES = new EnumMap<>(Phase.class);

  static {
    rule(new PhaseRule(Phase.PREFLIGHT, "a valid plan", List.of(PREFLIGHT_CHECKS),
        "every check green (all blockers are reported at once)", Phase.ARCHIVE_REPLICA)
        .routed(LossRoute.NOT_ALLOWED, LossRoute.NOT_ALLOWED, FailoverReset.KEPT));
    rule(new PhaseRule(Phase.ARCHIVE_REPLICA, "PREFLIGHT done", List.of(A_ASSIGN, A_CAUGHT_UP),
        "A replays within thresholds.archive_lag_segments of the archive head", Phase.STANDBY)
        .routed(LossRoute.NOT_ALLOWED, LossRoute.always(Route.REBUILD), FailoverReset.KEPT));
    rule(new PhaseRule(Phase.STANDBY, "A is an archive replica", List.of(B_ASSIGN, B_STREAMING),
        "B streams from A with lag under thresholds.max_lag_bytes", Phase.CUTOVER_1)
        .routed(LossRoute.NOT_ALLOWED, LossRoute.always(Route.REBUILD), FailoverReset.KEPT));
    rule(new PhaseRule(Phase.CUTOVER_1, "A caught up with the archive, B streaming",
        List.of(C1_READY, C1_COLLATION, C1_BLOCK_APP, C1_FENCE_SOURCE, C1_FINAL_LSN, C1_WAIT_REPLAYED, C1_PROMOTE,
            C1_LIFT_INHERITED_FENCE, C1_REINDEX, C1_REPOINT,
            C1_UNBLOCK, C1_B_FOLLOWS),
        "the app writes to A; B streams from A on A's new timeline", Phase.LOGICAL_SETUP, Optional.of(C1_PROMOTE),
        List.of(C1_UNDO_LIFT_FENCE, C1_UNDO_UNBLOCK),
        Map.of(C1_UNDO_LIFT_FENCE, C1_FENCE_SOURCE, C1_UNDO_UNBLOCK, C1_BLOCK_APP),
        "writes unblocked, the source fence lifted: the app stays on the source",
        Map.of(C1_UNDO_LIFT_FENCE, "the source stays fenced: the app, unblocked on the source, gets read-only errors for"
                + " its writes until `pgferry resume` lifts the fence once the source answers",
            C1_UNDO_UNBLOCK, UNBLOCK_FAILED))
        .routed(LossRoute.NOT_ALLOWED, LossRoute.untilPointOfNoReturn(Route.REBUILD), FailoverReset.KEPT));
    rule(new PhaseRule(Phase.LOGICAL_SETUP, "the app writes to A",
        List.of(LS_PREFLIGHT, LS_CONTROLLER_ROLE, LS_HBA, LS_REPLICA_IDENTITY, LS_ROLE, LS_TARGET_ROLES, LS_SCHEMA, LS_PUBLICATION, LS_DDL_CAPTURE, LS_DDL_REPLAY,
            LS_TABLE_COPY, LS_SUBSCRIPTION, LS_FINGERPRINT,
            LS_STANDBY_SLOT),
        "subscription created on the target; B keeps a usable copy of its slot", Phase.LOGICAL_SYNC)
        .routed(LossRoute.always(Route.FAILOVER), LossRoute.always(Route.DROP_TO_ASYNC), FailoverReset.KEPT));
    rule(new PhaseRule(Phase.LOGICAL_SYNC, "subscription created", List.of(SYNC_POST_DATA, SYNC_WAIT, SYNC_ANALYZE),
        "all tables ready, their indexes and constraints built, lag under threshold, every DDL statement recorded on A"
            + " applied (or skipped) on T, no schema drift; T's tables vacuumed and analyzed", Phase.CUTOVER_2)
        .routed(LossRoute.always(Route.FAILOVER), LossRoute.always(Route.DROP_TO_ASYNC), FailoverReset.AGAIN_IF_DONE));
    rule(new PhaseRule(Phase.CUTOVER_2, "target in sync, every recorded DDL statement applied on T, no schema drift",
        List.of(C2_READY, C2_BLOCK_APP, C2_FENCE_A, C2_WAIT_APPLIED, C2_VERIFY, C2_SEQUENCES, C2_MATVIEWS, C2_DROP_SUBSCRIPTION,
            C2_REVERSE, C2_REPOINT, C2_RESTART_APP, C2_UNBLOCK),
        "the app writes to the target", Phase.DONE, Optional.of(C2_DROP_SUBSCRIPTION),
        List.of(C2_UNDO_LIFT_FENCE, C2_UNDO_UNBLOCK),
        Map.of(C2_UNDO_LIFT_FENCE, C2_FENCE_A, C2_UNDO_UNBLOCK, C2_BLOCK_APP),
        "writes unblocked, A's fence lifted: the app stays on A and logical replication continues",
        Map.of(C2_UNDO_LIFT_FENCE, "A stays fenced: the app, unblocked on A, gets read-only errors for its writes until"
                + " `pgferry resume` lifts the fence once A answers",
            C2_UNDO_UNBLOCK, UNBLOCK_FAILED))
        .routed(LossRoute.untilPointOfNoReturn(Route.FAILOVER), LossRoute.always(Route.DROP_TO_ASYNC), FailoverReset.STARTS_OVER));
    rule(new PhaseRule(Phase.DONE, "the app writes to the target", List.of(), "-", Phase.DONE)
        .routed(LossRoute.NOT_ALLOWED, LossRoute.NOT_ALLOWED, FailoverReset.KEPT));
    rule(new PhaseRule(Phase.FAILOVER, "A declared failed after cutover 1 (or `pgferry failover`)",
        List.of(FO_FENCE_A, FO_PAUSE_APP, FO_WAIT_LEASE, FO_DISABLE_SUBSCRIPTION, FO_PROMOTE_B, FO_REPOINT_APP,
            FO_REPOINT_SUBSCRIPTION, FO_CONTROLLER_ROLE),
        "the app writes to B; logical replication applies from B", Phase.LOGICAL_SYNC, Optional.of(FO_PROMOTE_B),
        List.of(FO_UNDO_UNPAUSE), Map.of(FO_UNDO_UNPAUSE, FO_PAUSE_APP),
        "the app unpaused (its writes fail on the fenced A until the failover runs again)",
        Map.of(FO_UNDO_UNPAUSE, "the app stays paused until `pgferry resume` unpauses it"))
        .routed(LossRoute.NOT_ALLOWED, LossRoute.NOT_ALLOWED, FailoverReset.KEPT));
  }

  private JourneyTable() {}

  private static void rule(PhaseRule r) {
    RULES.put(r.phase(), r);
  }

  public static PhaseRule rule(Phase phase) {
    return RULES.get(phase);
  }

  public static List<PhaseRule> rules() {
    return List.copyOf(RULES.values());
  }

  /**
   * FAILOVER (A lost, B promoted) makes sense only once A is the primary: after cutover 1, before the app is on T.
   * The table's {@code onPrimaryLoss} column says where.
   */
  public static boolean failoverReachableFrom(Phase phase) {
    return rule(phase).onPrimaryLoss().route() == LossRoute.Route.FAILOVER;
  }

  /**
   * The step of {@code phase} whose start closes the way to FAILOVER (CUTOVER_2's point of no return: once T's
   * subscription is dropped the app's way is to the target, not to B). Empty: open for the whole phase.
   */
  public static Optional<String> failoverClosedBy(Phase phase) {
    PhaseRule r = rule(phase);
    return r.onPrimaryLoss().untilPointOfNoReturn() ? r.pointOfNoReturn() : Optional.empty();
  }

  /**
   * Whether a lost primary sends the journey to FAILOVER now: the phase it stands in routes there (and has not passed
   * the point of no return that closes the route), and no failover was entered before (a resumed one is finished by
   * `pgferry resume`, never started twice).
   */
  public static boolean failoverOpen(JournalState st) {
    return JourneyEngine.effectivePhase(st).map(JourneyTable::rule)
        .filter(r -> r.onPrimaryLoss().route() == Route.FAILOVER && r.onPrimaryLoss().open(r, st)).isPresent()
        && st.phaseStartedAt(Phase.FAILOVER).isEmpty();
  }

  /**
   * What a lost replica means now, by the onReplicaLoss column of the phase the journey stands in (NOT_ALLOWED when
   * the route is closed). After a failover B is gone: the standby `pgferry add-standby` builds is watched instead.
   */
  public static LossRoute.Route replicaLossRoute(JournalState st) {
    if (st.phaseStartedAt(Phase.FAILOVER).isPresent()) {
      return LossRoute.Route.NOT_ALLOWED;
    }
    return JourneyEngine.effectivePhase(st).map(JourneyTable::rule).filter(r -> r.onReplicaLoss().open(r, st))
        .map(r -> r.onReplicaLoss().route()).orElse(LossRoute.Route.NOT_ALLOWED);
  }

  /** Where the onPrimaryLoss column says FAILOVER, in words ("LOGICAL_SETUP to CUTOVER_2"). */
  static String failoverRouteText() {
    List<Phase> from = RULES.values().stream().filter(r -> r.onPrimaryLoss().route() == Route.FAILOVER)
        .map(PhaseRule::phase).toList();
    return from.isEmpty() ? "nowhere" : from.get(0) + " to " + from.get(from.size() - 1);
  }

  /** The phase FAILOVER goes back to when that one was not finished before the failover (see {@link #next}). */
  public static final Phase FAILOVER_RESUMES_UNFINISHED = Phase.LOGICAL_SETUP;

  /** {@link #next} in words, for `pgferry plan`. */
  public static String describeNext(Phase done) {
    return done == Phase.FAILOVER
        ? FAILOVER_RESUMES_UNFINISHED + " if it was not finished (its remaining steps run against the new primary), else "
            + rule(done).next()
        : rule(done).next().name();
  }

  /**
   * A node lost before cutover 1 holds nothing the source and its archive lack: it is rebuilt and the journey goes
   * back to the phase that builds it. Where, the table's {@code onReplicaLoss} column says (until cutover 1 starts
   * promoting A; after that the lost node is a primary or its standby: FAILOVER and add-standby).
   */
  public static boolean rebuildReachableFrom(Phase phase, JournalState st) {
    PhaseRule r = rule(phase);
    return r.onReplicaLoss().route() == LossRoute.Route.REBUILD && r.onReplicaLoss().open(r, st);
  }

  /** The phases a rebuild sends the journey back through (those whose {@code onReplicaLoss} is REBUILD), in order. */
  public static List<Phase> rebuiltPhases() {
    return RULES.values().stream().filter(r -> r.onReplicaLoss().route() == LossRoute.Route.REBUILD)
        .map(PhaseRule::phase).toList();
  }

  /** The phase that builds a node of the given role (the archive replica A, or the standby B); the journey resumes there. */
  public static Phase buildingPhase(boolean archiveReplica) {
    return archiveReplica ? Phase.ARCHIVE_REPLICA : Phase.STANDBY;
  }

  /**
   * The phase after {@code done}. FAILOVER returns to where logical replication stood: LOGICAL_SETUP when that was
   * not finished (its remaining steps run against the new primary), else LOGICAL_SYNC.
   */
  public static Phase next(Phase done, JournalState st) {
    if (done == Phase.FAILOVER && !st.phaseDone(FAILOVER_RESUMES_UNFINISHED)) {
      return FAILOVER_RESUMES_UNFINISHED;
    }
    return rule(done).next();
  }

  /** The phase a step belongs to (undo steps included). */
  public static Optional<Phase> phaseOf(String stepId) {
    return RULES.values().stream()
        .filter(r -> r.steps().contains(stepId) || r.undoSteps().contains(stepId))
        .map(PhaseRule::phase).findFirst();
  }
}
