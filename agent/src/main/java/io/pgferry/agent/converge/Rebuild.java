package io.pgferry.agent.converge;

import io.pgferry.agent.cluster.UpstreamProbe;
import io.pgferry.agent.config.DataDir;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A goal with {@code rebuild}: the data dir is discarded (PostgreSQL stopped, its contents deleted) when what it holds
 * cannot go on as the goal asks, so the next step (base backup, backup-fetch) takes a fresh copy. PostgreSQL cannot
 * stream onto a diverged timeline and this agent has no pg_rewind, so for a STREAMING_STANDBY a former primary (no
 * standby configuration), a standby on another timeline than the upstream, another cluster, or a broken dir are
 * rebuilt; a standby of the same cluster on the upstream's timeline is kept (nothing to do). An ARCHIVE_REPLICA (a
 * node lost before cutover 1) is rebuilt when its dir is broken or ran as a primary; an intact replica goes on
 * replaying where it stopped.
 */
public final class Rebuild {
  private static final Logger LOG = Logger.getLogger(Rebuild.class.getName());

  private Rebuild() {}

  /** Why the data dir must go, or empty when it can stream from the upstream as it is (or is empty). */
  static Optional<String> reason(Path dataDir, boolean standbyConfigured, UpstreamProbe.Identity upstream) throws IOException {
    Optional<String> local = localReason(dataDir, standbyConfigured);
    if (local.isPresent() || !DataDir.holdsCluster(dataDir)) {
      return local;
    }
    OptionalLong id = DataDir.systemIdentifier(dataDir);
    if (id.isPresent() && id.getAsLong() != upstream.systemIdentifier()) {
      return Optional.of("it holds another cluster (system identifier " + Long.toUnsignedString(id.getAsLong()) + ")");
    }
    int timeline = latestTimeline(dataDir);
    if (timeline != upstream.timeline()) {
      return Optional.of("it is on timeline " + timeline + ", the upstream on " + upstream.timeline());
    }
    return Optional.empty();
  }

  /** What the data dir alone tells: broken (files PostgreSQL cannot start without are gone) or a former primary. */
  static Optional<String> localReason(Path dataDir, boolean standbyConfigured) {
    if (!DataDir.holdsCluster(dataDir)) {
      return DataDir.isMissingOrEmpty(dataDir) ? Optional.empty() : Optional.of("it holds no complete cluster");
    }
    for (String needed : new String[] {"base", "global"}) {
      if (!Files.isDirectory(dataDir.resolve(needed))) {
        return Optional.of("it lacks " + needed + "/");
      }
    }
    if (!Files.isDirectory(dataDir.resolve("pg_wal")) && !Files.isDirectory(dataDir.resolve("pg_xlog"))) {
      return Optional.of("it lacks pg_wal/");
    }
    if (!standbyConfigured) {
      return Optional.of("it ran as a primary (no standby configuration): its timeline may have diverged");
    }
    return Optional.empty();
  }

  /** The highest timeline with a history file in pg_wal (pg_xlog before PG 10), else 1. */
  static int latestTimeline(Path dataDir) throws IOException {
    Path wal = Files.isDirectory(dataDir.resolve("pg_wal")) ? dataDir.resolve("pg_wal") : dataDir.resolve("pg_xlog");
    if (!Files.isDirectory(wal)) {
      return 1;
    }
    try (Stream<Path> s = Files.list(wal)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{8}\\.history"))
          .mapToInt(n -> Integer.parseInt(n.substring(0, 8), 16)).max().orElse(1);
    }
  }

  /**
   * The step: stop PostgreSQL and empty the data dir when {@link #reason} (a STREAMING_STANDBY goal, asking the
   * upstream) or {@link #localReason} (any other goal) says so. Returns true when it acted.
   */
  public static boolean discardIfDiverged(NodeContext ctx, Goal goal) throws Exception {
    if (!goal.getRebuild()) {
      return false;
    }
    Path dataDir = ctx.dataDir();
    if (DataDir.isMissingOrEmpty(dataDir)) {
      return false;
    }
    boolean standby = DataDir.holdsCluster(dataDir)
        && ctx.recoveryConfig().isStandbyConfigured(DataDir.majorVersion(dataDir));
    Optional<String> why;
    if (goal.getState() == NodeState.STREAMING_STANDBY) {
      ctx.progress("asking " + goal.getUpstream().getHost() + ":" + goal.getUpstream().getPort() + " who it is");
      why = reason(dataDir, standby, UpstreamProbe.identify(goal.getUpstream(), ctx.config().postgres().passwordFile(),
        ctx.upstreamTls()));
    } else {
      why = localReason(dataDir, standby);
    }
    if (why.isEmpty()) {
      return false;
    }
    LOG.warning("rebuild: discarding the data dir " + dataDir + " because " + why.get());
    ctx.progress("rebuild: discarding the data dir (" + why.get() + ")");
    if (ctx.pgCtl().isRunning()) {
      ctx.pgCtl().stopFast();
    }
    try (Stream<Path> s = Files.list(dataDir)) {
      for (Path p : s.toList()) {
        Transitions.deleteTree(p);
      }
    }
    return true;
  }
}
