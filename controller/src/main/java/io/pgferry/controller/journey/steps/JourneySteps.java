package io.pgferry.controller.journey.steps;

import static io.pgferry.controller.journey.JourneyTable.A_ASSIGN;
import static io.pgferry.controller.journey.JourneyTable.A_CAUGHT_UP;
import static io.pgferry.controller.journey.JourneyTable.B_ASSIGN;
import static io.pgferry.controller.journey.JourneyTable.B_STREAMING;
import static io.pgferry.controller.journey.JourneyTable.C1_BLOCK_APP;
import static io.pgferry.controller.journey.JourneyTable.C1_B_FOLLOWS;
import static io.pgferry.controller.journey.JourneyTable.C1_FENCE_SOURCE;
import static io.pgferry.controller.journey.JourneyTable.C1_FINAL_LSN;
import static io.pgferry.controller.journey.JourneyTable.C1_READY;
import static io.pgferry.controller.journey.JourneyTable.C1_REPOINT;
import static io.pgferry.controller.journey.JourneyTable.C1_UNBLOCK;
import static io.pgferry.controller.journey.JourneyTable.C1_UNDO_LIFT_FENCE;
import static io.pgferry.controller.journey.JourneyTable.C1_UNDO_UNBLOCK;
import static io.pgferry.controller.journey.JourneyTable.C1_WAIT_REPLAYED;

import io.pgferry.common.Lsn;
import io.pgferry.common.Secrets;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.Decisions;
import io.pgferry.controller.journey.HoldProbe;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.sql.SegmentCloser;
import io.pgferry.controller.journey.JourneyAssembly;
import io.pgferry.controller.journey.JourneyException;
import io.pgferry.controller.journey.JourneyPorts;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.StepContext;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Durations;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.switching.DatabaseEndpoint;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Builds the steps of the phases this build runs (PREFLIGHT to CUTOVER_1), each with the exact description of
 * what it will do. Node addresses come from the agents' Hello; when describing without a controller they are
 * shown as {@code <host of a>}.
 */
public final class JourneySteps {
  private static final Duration READY_CHECK = Duration.ofSeconds(30);
  /** While writes are blocked, decide this often at most (the plan's poll_interval when shorter). */
  static final Duration CUTOVER_POLL = Duration.ofMillis(200);

  private JourneySteps() {}

  /** The journey the daemon runs and `pgferry plan` shows: ports from {@code wiring}, steps from {@link #build}. */
  public static JourneyAssembly with(JourneyWiring wiring) {
    return new JourneyAssembly() {
      @Override
      public JourneyPorts ports(Plan plan, NodeDirectory nodes) {
        return wiring.ports(plan, nodes);
      }

      @Override
      public Map<String, Step> steps(Plan plan, JourneyPorts ports) {
        return build(plan, ports);
      }

      @Override
      public Map<Phase, HoldProbe> holdProbes(Plan plan, JourneyPorts ports) {
        return JourneySteps.holdProbes(plan);
      }
    };
  }

  public static Map<String, Step> build(Plan plan, JourneyPorts ports) {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    Plan.Thresholds t = plan.thresholds();
    Plan.Timeouts timeouts = t.timeouts();
    Optional<NodeView> aView = Goals.node(ports.nodes(), a);
    Optional<NodeView> bView = Goals.node(ports.nodes(), b);
    Map<String, Step> steps = new LinkedHashMap<>();

    steps.put(JourneyTable.PREFLIGHT_CHECKS, new PreflightStep(preflightLines(plan, ports)));

    steps.put(A_ASSIGN, new AssignGoalStep(A_ASSIGN, a,
        ctx -> Goals.archiveReplica(ctx.plan(), ctx.ports().nodes().node(b)).toBuilder()
            .setRebuild(ctx.rebuildRequested(a)).build(),
        List.of("goal of " + a + " := " + goalText(Goals.archiveReplica(plan, bView), b),
            "(agent " + a + ": backup-fetch LATEST from the archive -> settings -> recovery config with"
                + " restore_command -> start as a hot standby)")));
    steps.put(A_CAUGHT_UP, new WaitStep(A_CAUGHT_UP, a + " to catch up with the archive",
        ctx -> timeouts.archiveReplica(),
        (ctx, now) -> Decisions.archiveReplicaCaughtUp(ctx.ports().nodes().node(a), a, t.archiveLagSegments()),
        List.of("wait until " + a + " reports ARCHIVE_REPLICA with Status.archive.lag_segments <= "
            + t.archiveLagSegments() + " (timeout " + Durations.format(timeouts.archiveReplica())
            + "); progress: segments left; agent errors shown verbatim from Status.last_error")));

    steps.put(B_ASSIGN, new AssignGoalStep(B_ASSIGN, b, ctx -> {
      NodeView up = ctx.ports().nodes().node(a).filter(v -> v.hello() != null && !v.hello().getHost().isEmpty())
          .orElseThrow(() -> new JourneyException("node " + a + " has not said where its PostgreSQL listens (no Hello"
              + " yet); B cannot be given its upstream"));
      return Goals.streamingStandby(ctx.plan(), up).toBuilder().setRebuild(ctx.rebuildRequested(b)).build();
    }, List.of("goal of " + b + " := STREAMING_STANDBY{upstream: " + hostPort(aView, a) + ", user "
        + orAgent(plan.nodes().replicationUser()) + ", application_name " + Goals.applicationName(b)
        + ", recovery_target_timeline latest}",
        "(agent " + b + ": base backup from " + a + " -> recovery config with primary_conninfo -> start)")));
    steps.put(B_STREAMING, new WaitStep(B_STREAMING, b + " to stream from " + a, ctx -> timeouts.standby(),
        (ctx, now) -> Decisions.standbyStreaming(ctx.ports().nodes().node(b), b, t.maxLagBytes()),
        List.of("wait until " + b + " reports STREAMING_STANDBY, wal_receiver_status streaming, lag <= "
            + t.maxLagBytes() + " bytes (timeout " + Durations.format(timeouts.standby()) + ")")));

    steps.put(C1_READY, new WaitStep(C1_READY, "readiness for cutover 1", ctx -> READY_CHECK,
        (ctx, now) -> Decisions.readyForCutover(ctx.ports().nodes().node(a), a, ctx.ports().nodes().node(b), b,
            t.archiveLagSegments(), t.maxLagBytes()),
        List.of("check " + a + " within " + t.archiveLagSegments() + " segments of the archive head and " + b
            + " streaming with lag <= " + t.maxLagBytes() + " bytes (up to " + Durations.format(READY_CHECK)
            + "); nothing is blocked yet")));
    CollationSteps.build(plan, bView, aView, steps);
    steps.put(C1_BLOCK_APP, SwitchStep.block(C1_BLOCK_APP, ports.switcher()));
    steps.put(C1_FENCE_SOURCE, new FenceStep(C1_FENCE_SOURCE, false, fenceLines(plan, ports, false)));
    steps.put(C1_FINAL_LSN, new ReadFinalLsnStep(plan.source().reachable()
        ? Stream.concat(Stream.of("source: SELECT pg_current_wal_lsn();  final position = the larger of this and the"
            + " fence's"), SegmentCloser.describe().stream().map(l -> "source: " + l)).toList()
        : List.of("no source.url: the final position is unknown; the next step waits out archive_timeout instead")));
    steps.put(C1_WAIT_REPLAYED, new WaitStep(C1_WAIT_REPLAYED, a + " to replay the source's final position",
        ctx -> timeouts.cutover1(),
        (ctx, now) -> Decisions.replayedFinal(FreshStatus.of(ctx.ports().nodes(), a), a,
            Lsn.parse(ctx.evidenceOf(C1_FINAL_LSN).getOrDefault("final_lsn", "")), blockedAt(ctx),
            ctx.plan().source().archiveTimeout(), now),
        List.of("wait until " + a + "'s replay_lsn (a Status asked for now) >= the final position (timeout "
            + Durations.format(timeouts.cutover1()) + "); the source ships its last segment within archive_timeout ("
            + Durations.format(plan.source().archiveTimeout()) + "): the countdown is shown"), CUTOVER_POLL));
    steps.put(JourneyTable.C1_PROMOTE, new PromoteStep(List.of(
        "goal of " + a + " := " + goalText(Goals.primary(plan, bView), b),
        "wait until " + a + " reports PRIMARY, not in recovery (timeout " + Durations.format(timeouts.cutover1()) + ")")));
    steps.put(JourneyTable.C1_LIFT_INHERITED_FENCE, new LiftInheritedFenceStep(
        plan.source().reachable() && ports.fence() != null
            ? ports.fence().describeLiftOnCopy(a + " (" + hostPort(aView, a) + ")")
            : List.of("no source.url: the source was not fenced, so " + a + " inherited no fence")));
    steps.put(C1_REPOINT, SwitchStep.repoint(C1_REPOINT, a, ports.switcher(), Endpoints.appShown(plan, aView, a)));
    steps.put(C1_UNBLOCK, SwitchStep.unblock(C1_UNBLOCK, ports.switcher()));
    steps.put(C1_B_FOLLOWS, new WaitStep(C1_B_FOLLOWS, b + " to follow " + a + " onto its new timeline",
        ctx -> timeouts.cutover1(),
        (ctx, now) -> Decisions.standbyFollows(ctx.ports().nodes().node(b), b, ctx.ports().nodes().node(a), a,
            t.maxLagBytes()),
        List.of("wait until " + b + " streams from " + a + " on " + a + "'s new timeline (timeout "
            + Durations.format(timeouts.cutover1()) + "); the source stays fenced")));

    steps.put(C1_UNDO_LIFT_FENCE, new FenceStep(C1_UNDO_LIFT_FENCE, true, fenceLines(plan, ports, true)));
    steps.put(C1_UNDO_UNBLOCK, SwitchStep.unblock(C1_UNDO_UNBLOCK, ports.switcher()));
    steps.putAll(FailoverSteps.build(plan, ports, bView));
    if (plan.logical().replicationPassword() != null) { // the logical phases need the logical: block of the plan
      LogicalSteps.build(plan, ports, aView, bView, steps);
      FinishSteps.build(plan, steps);
    }
    return steps;
  }

  /** The lag shown while the journey holds: before cutover 1 A's and B's, before cutover 2 T's. */
  static Map<Phase, HoldProbe> holdProbes(Plan plan) {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    HoldProbe nodes = ctx -> {
      String aLag = ctx.ports().nodes().node(a).map(v -> v.status() == null || !v.status().hasArchive() ? "unknown"
          : v.status().getArchive().getLagSegments() + " segment(s)").orElse("unknown");
      String bLag = ctx.ports().nodes().node(b).map(v -> v.status() == null ? "unknown"
          : v.status().getReplayLagBytes() + " bytes (" + v.status().getWalReceiverStatus() + ")").orElse("unknown");
      return a + " behind the archive head: " + aLag + "; " + b + " behind " + a + ": " + bLag;
    };
    Map<Phase, HoldProbe> probes = new EnumMap<>(Phase.class);
    probes.put(Phase.CUTOVER_1, nodes);
    if (plan.logical().replicationPassword() != null) {
      probes.put(Phase.CUTOVER_2, LogicalSteps::syncNow);
    }
    return probes;
  }

  /** When writes were blocked: the fence if it is done, else the app block; the countdown starts there. */
  private static Instant blockedAt(StepContext ctx) {
    return ctx.stepDoneAt(C1_FENCE_SOURCE).or(() -> ctx.stepDoneAt(C1_BLOCK_APP)).orElse(ctx.stepStartedAt());
  }

  private static List<String> preflightLines(Plan plan, JourneyPorts ports) {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    List<String> lines = new ArrayList<>();
    lines.add("agents " + a + " (archive replica) and " + b + " (standby) connected, no agent error;"
        + " their Hello.pg_major equals the source's major");
    lines.add(plan.source().reachable()
        ? "source (" + redactedRef(plan.source().url()) + "): SELECT current_setting('server_version_num')::int;"
        : "source: no source.url; its major is " + (plan.source().pgMajor() == null
            ? "taken from the backup" : "source.pg_major = " + plan.source().pgMajor()));
    lines.add("archive " + plan.archive().url() + ": newest complete base backup (its sentinel:"
        + " expanded size, PostgreSQL version), the timeline history and every WAL segment from its start to the"
        + " archive head (no gap)");
    lines.add("disk: Status.disk.data_dir_free_bytes of " + a + " and " + b + " >= expanded backup size + "
        + plan.thresholds().diskMarginPercent() + "%");
    lines.add("target (" + redactedRef(plan.target().url()) + "): SELECT current_setting('server_version_num')::int;");
    lines.add("every blocker is reported at once; nothing is changed");
    return lines;
  }

  private static List<String> fenceLines(Plan plan, JourneyPorts ports, boolean lift) {
    if (!plan.source().reachable() || ports.fence() == null) {
      return List.of("no source.url: the source database is not " + (lift ? "fenced, nothing to lift"
          : "fenced; only the app switch stops writes (Heroku workers and one-off dynos may still write!)"));
    }
    return lift ? ports.fence().describeLift() : ports.fence().describeFence();
  }

  static String goalText(Goal g, String standbyId) {
    StringBuilder s = new StringBuilder(g.getState().name()).append("{");
    List<String> parts = new ArrayList<>();
    if (!g.getArchiveUrl().isEmpty()) {
      parts.add("archive_url: " + g.getArchiveUrl());
    }
    if (!g.getSettingsMap().isEmpty()) {
      parts.add("settings: " + g.getSettingsMap().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .map(e -> e.getKey() + " = '" + e.getValue() + "'").collect(Collectors.joining(", ")));
    }
    if (g.getHbaRulesCount() == 0) {
      parts.add("pg_hba: host replication <user> <address of " + standbyId + "> (once " + standbyId + " has connected)");
    }
    for (HbaRule r : g.getHbaRulesList()) {
      parts.add("pg_hba: " + r.getType() + " " + r.getDatabase() + " " + r.getUser() + " " + r.getAddress() + " "
          + r.getMethod());
    }
    return s.append(String.join("; ", parts)).append("}").toString();
  }

  private static String hostPort(Optional<NodeView> v, String id) {
    return v.filter(Goals::saidHello).map(n -> n.hello().getHost() + ":" + n.hello().getPgPort())
        .orElse("<host of " + id + ">:<port of " + id + ">");
  }

  private static String orAgent(String user) {
    return user.isEmpty() ? "(the agent's postgres.replication_user)" : user;
  }

  private static String redactedRef(String ref) {
    return Secrets.redact(ref);
  }
}
