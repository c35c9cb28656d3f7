package io.pgferry.agent.converge;

import io.pgferry.agent.cluster.BaseBackupProvider;
import io.pgferry.agent.cluster.UpstreamProbe;
import io.pgferry.agent.config.DataDir;
import io.pgferry.agent.fence.Fence;
import io.pgferry.agent.recovery.RecoveryConfig;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import io.pgferry.proto.BaseBackupMethod;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/** The agent's transitions and the default table that picks them (first matching row wins). */
public final class Transitions {
  private Transitions() {}

  public static TransitionTable<Transition.Factory> defaultTable(List<TransitionTable.Row<Transition.Factory>> extraFirst) {
    return TransitionTable.<Transition.Factory>builder()
        .rowsFirst(extraFirst)
        .row(EnumSet.of(NodeState.EMPTY, NodeState.STOPPED, NodeState.STREAMING_STANDBY, NodeState.ARCHIVE_REPLICA,
                NodeState.NODE_STATE_UNSPECIFIED), NodeState.STREAMING_STANDBY,
            "base backup from the upstream (unless the data dir holds the same cluster) -> recovery config -> start",
            Transitions::streamingStandby)
        .row(EnumSet.of(NodeState.PRIMARY, NodeState.FENCED), NodeState.STREAMING_STANDBY,
            "only with goal.rebuild (no pg_rewind here): stop -> discard the diverged cluster -> base backup -> start",
            Transitions::rejoinAsStandby)
        .row(EnumSet.of(NodeState.STREAMING_STANDBY, NodeState.ARCHIVE_REPLICA, NodeState.STOPPED, NodeState.FENCED,
                NodeState.PRIMARY), NodeState.PRIMARY,
            "start -> pg_ctl promote -> wait until out of recovery", Transitions::primary)
        .row(TransitionTable.any(), NodeState.STOPPED, "pg_ctl stop -m fast",
            (goal, ctx) -> Transition.of("stop", List.of(Step.of("stop", c -> stop(c)))))
        .row(TransitionTable.any(), NodeState.FENCED, "stop fast; refuse to start until the goal changes",
            (goal, ctx) -> Transition.of("fence", List.of(Step.of("fence", c -> Fence.ensureFenced(c.pgCtl())))))
        .build();
  }

  static Transition streamingStandby(Goal goal, NodeContext ctx) {
    Upstream u = goal.getUpstream();
    if (u.getHost().isEmpty() || u.getPort() == 0) {
      throw ConvergeError.permanent("goal STREAMING_STANDBY needs upstream host and port");
    }
    Upstream upstream = u.getUser().isEmpty() ? u.toBuilder().setUser(ctx.config().postgres().replicationUser()).build() : u;
    Goal g = goal.toBuilder().setUpstream(upstream).build();
    return Transition.of("streaming standby of " + upstream.getHost() + ":" + upstream.getPort(), List.of(
        Step.of("rebuild check", c -> Rebuild.discardIfDiverged(c, g)),
        Step.of("base backup", c -> baseBackup(c, g)),
        Step.of("recovery config", c -> standbyConfig(c, g)),
        Step.of("start", Transitions::start)));
  }

  /** A former primary (or a fenced one) becomes a standby only by a rebuild: its timeline has diverged. */
  static Transition rejoinAsStandby(Goal goal, NodeContext ctx) {
    if (!goal.getRebuild()) {
      throw ConvergeError.permanent("this node ran as a primary: it cannot stream from another node without"
          + " pg_rewind, which this agent does not do; assign the goal with rebuild (pgferry add-standby " + ctx.config().nodeId() + ")");
    }
    return streamingStandby(goal, ctx);
  }

  static Transition primary(Goal goal, NodeContext ctx) {
    return Transition.of("promote to primary", List.of(
        Step.of("pg_hba", c -> hba(c, goal)),
        Step.of("start", Transitions::start),
        Step.of("promote", Transitions::promote),
        Step.of("primary settings", c -> primarySettings(c, goal))));
  }

  /**
   * After promotion: the managed settings with the goal's (e.g. synchronous_standby_names for durability: sync),
   * without the standby's recovery settings; reloaded (what needs a restart waits for the next one).
   */
  static boolean primarySettings(NodeContext ctx, Goal goal) throws Exception {
    if (ctx.localPostgres().isInRecovery()) {
      throw new IllegalStateException("still in recovery after promote");
    }
    boolean changed = ctx.recoveryConfig().apply(DataDir.majorVersion(ctx.dataDir()), ctx.managedSettings(goal),
        Optional.empty());
    if (changed) {
      ctx.pgCtl().reload();
    }
    return changed;
  }

  /** Base backup into a temp dir beside the data dir, then rename: a data dir is either absent/empty or complete. */
  static boolean baseBackup(NodeContext ctx, Goal goal) throws Exception {
    Path dataDir = ctx.dataDir();
    Path passwordFile = ctx.config().postgres().passwordFile();
    if (DataDir.holdsCluster(dataDir)) {
      OptionalLong local = DataDir.systemIdentifier(dataDir);
      ctx.progress("comparing system identifier with " + hostPort(goal.getUpstream()));
      UpstreamProbe.Identity remote = UpstreamProbe.identify(goal.getUpstream(), passwordFile, ctx.upstreamTls());
      if (local.isPresent() && local.getAsLong() != remote.systemIdentifier()) {
        throw ConvergeError.permanent("data dir " + dataDir + " holds a different cluster (system identifier "
            + Long.toUnsignedString(local.getAsLong()) + ", upstream " + hostPort(goal.getUpstream()) + " has "
            + Long.toUnsignedString(remote.systemIdentifier()) + "); empty the data dir or fix the upstream");
      }
      return false;
    }
    if (!DataDir.isMissingOrEmpty(dataDir)) {
      throw ConvergeError.permanent("data dir " + dataDir + " is not empty and holds no PostgreSQL cluster; empty it");
    }
    ctx.progress("asking " + hostPort(goal.getUpstream()) + " who it is");
    UpstreamProbe.Identity remote = UpstreamProbe.identify(goal.getUpstream(), passwordFile, ctx.upstreamTls());
    BaseBackupProvider provider = chooseProvider(ctx, goal, remote.major());
    Path temp = dataDir.resolveSibling("." + dataDir.getFileName() + ".pgferry-basebackup");
    deleteTree(temp);
    ctx.progress(provider.describe(goal));
    try {
      provider.fetchInto(temp, goal);
    } catch (Exception e) {
      deleteTree(temp);
      throw e;
    }
    if (Files.isDirectory(dataDir)) {
      Files.delete(dataDir); // empty (checked above); rename(2) then puts the complete backup in its place
    }
    Files.move(temp, dataDir, StandardCopyOption.ATOMIC_MOVE);
    return true;
  }

  private static BaseBackupProvider chooseProvider(NodeContext ctx, Goal goal, int upstreamMajor) {
    BaseBackupMethod wanted = goal.getBaseBackupMethod();
    if (wanted == BaseBackupMethod.BASE_BACKUP_METHOD_UNSPECIFIED) {
      return ctx.backupProviders().values().stream().filter(p -> p.supports(goal, upstreamMajor)).findFirst()
          .orElseThrow(() -> ConvergeError.permanent("no base backup method here supports PostgreSQL " + upstreamMajor
              + " (have " + ctx.backupProviders().keySet() + ", pg_basebackup searched in " + ctx.clientTools().searchPath()
              + "); use base_backup_method ARCHIVE"));
    }
    BaseBackupProvider p = ctx.backupProviders().get(wanted);
    if (p == null || !p.supports(goal, upstreamMajor)) {
      throw ConvergeError.permanent("base backup method " + wanted + " is not available for PostgreSQL " + upstreamMajor
          + " on this agent (have " + ctx.backupProviders().keySet() + ")");
    }
    return p;
  }

  /** Recovery config and managed settings; marks a restart needed when they changed under a running server. */
  static boolean standbyConfig(NodeContext ctx, Goal goal) throws Exception {
    int major = DataDir.majorVersion(ctx.dataDir());
    var pg = ctx.config().postgres();
    String conninfo = RecoveryConfig.conninfo(goal.getUpstream(), ctx.config().nodeId(),
        pg.passwordFile(), ctx.recoveryConfig().standbyTls());
    RecoveryConfig.Standby standby = new RecoveryConfig.Standby(conninfo, goal.getUpstream().getSlotName(),
        ctx.restoreCommandFor(goal));
    boolean running = ctx.pgCtl().isRunning();
    boolean wasRequired = ctx.stateFile().get().restartRequired();
    if (running) {
      ctx.stateFile().update(r -> r.withRestartRequired(true));
    }
    boolean changed = ctx.recoveryConfig().apply(major, ctx.managedSettings(goal), Optional.of(standby));
    changed |= ctx.recoveryConfig().applyHba(goal.getHbaRulesList());
    if (running && !changed && !wasRequired) {
      ctx.stateFile().update(r -> r.withRestartRequired(false));
    }
    return changed;
  }

  static boolean hba(NodeContext ctx, Goal goal) throws Exception {
    if (!DataDir.holdsCluster(ctx.dataDir())) {
      throw new IllegalStateException("data dir " + ctx.dataDir() + " holds no cluster to run as " + goal.getState());
    }
    boolean changed = ctx.recoveryConfig().applyHba(goal.getHbaRulesList());
    if (changed && ctx.pgCtl().isRunning()) {
      ctx.pgCtl().reload();
    }
    return changed;
  }

  /** Starts PostgreSQL unless it runs; restarts it when its configuration changed while it ran. */
  static boolean start(NodeContext ctx) {
    if (!Fence.mayStart(ctx.stateFile().get())) {
      throw new IllegalStateException("fenced: PostgreSQL stays stopped until a new goal arrives");
    }
    boolean running = ctx.pgCtl().isRunning();
    boolean restart = ctx.stateFile().get().restartRequired();
    if (running && !restart) {
      return false;
    }
    if (running) {
      ctx.progress("restarting PostgreSQL (configuration changed)");
      ctx.pgCtl().restart();
    } else {
      ctx.progress("starting PostgreSQL");
      ctx.pgCtl().start();
    }
    ctx.stateFile().update(r -> r.withRestartRequired(false));
    return true;
  }

  private static final Duration PROMOTION_LIMIT = Duration.ofSeconds(120);

  static boolean promote(NodeContext ctx) throws Exception {
    if (!ctx.localPostgres().isInRecovery()) {
      return false;
    }
    ctx.progress("pg_ctl promote");
    ctx.pgCtl().signalPromote();
    Deadline[] resignal = {Deadline.in(PROMOTE_RESIGNAL)};
    try {
      Poll.untilTrue(Deadline.in(PROMOTION_LIMIT), Duration.ofMillis(100), "the end of recovery", () -> {
        if (!ctx.localPostgres().isInRecovery()) {
          return true;
        }
        if (resignal[0].passed()) {
          resignal[0] = Deadline.in(PROMOTE_RESIGNAL);
          return signalAgain(ctx);
        }
        return false;
      });
    } catch (Poll.Timeout e) {
      throw new IllegalStateException("promoted, but PostgreSQL is still in recovery after " + PROMOTION_LIMIT.toSeconds() + " s");
    }
    return true;
  }

  /** Sends the promote request again; true when PostgreSQL left recovery meanwhile (pg_ctl then refuses). */
  private static boolean signalAgain(NodeContext ctx) throws Exception {
    ctx.progress("pg_ctl promote (again: still in recovery)");
    try {
      ctx.pgCtl().signalPromote();
      return false;
    } catch (RuntimeException e) {
      if (ctx.localPostgres().isInRecovery()) {
        throw e;
      }
      return true;
    }
  }

  /**
   * How long a promotion may take before the agent signals it again. A standby whose upstream is gone can miss the
   * first signal: its startup process, between a failed walreceiver start and its wal_retrieve_retry_interval sleep
   * (5 s by default), does not look for the promote request again before sleeping (seen on PostgreSQL 15: "received
   * promote request" 5.0 s after pg_ctl promote, in one failover of five). A second signal wakes that sleep, and the
   * startup process then finds the request (it stays in place until it is acted on).
   */
  static final Duration PROMOTE_RESIGNAL = Duration.ofMillis(700);

  static boolean stop(NodeContext ctx) {
    if (!ctx.pgCtl().isRunning()) {
      return false;
    }
    ctx.pgCtl().stopFast();
    return true;
  }

  private static String hostPort(Upstream u) {
    return u.getHost() + ":" + u.getPort();
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.delete(p);
      }
    }
  }
}
