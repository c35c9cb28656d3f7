package io.pgferry.controller.standby;

import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.sql.failover.SyncDurability;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * durability: sync for a standby added back after a failover (the controller loop watches A and B only before it):
 * once the primary reports the standby streaming, the primary's synchronous_standby_names names it; when the primary
 * has not seen it streaming for failover.detect_after, back to async so the primary's commits do not hang. Each
 * change is journaled as a DECISION. One watch per standby, ended when the standby's or the upstream's goal changes.
 * It has no thread of its own: the controller loop runs {@link #cycle} in each of its cycles while it leads, and
 * a restarted (or newly leading) controller finds the add-standby goals to watch again there.
 */
public final class SyncWatch implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SyncWatch.class.getName());
  /** How often a cycle looks for add-standby goals not watched yet (a restarted controller learns them late). */
  private static final Duration SCAN_EVERY = Duration.ofSeconds(1);

  private final JourneyService journey;
  private final NodeDirectory nodes;
  private final Clock clock;
  private final Map<String, Watch> watches = new ConcurrentHashMap<>();
  private Instant lastScan;

  public SyncWatch(JourneyService journey, NodeDirectory nodes, Clock clock) {
    this.journey = journey;
    this.nodes = nodes;
    this.clock = clock;
  }

  /**
   * One cycle of the controller loop: every second, watches every node holding an add-standby goal (rebuild) of a
   * PRIMARY after a failover; then each watch looks at its standby once.
   */
  public void cycle(Optional<Plan> plan, boolean failoverEntered, Instant now) {
    if (lastScan == null || Duration.between(lastScan, now).compareTo(SCAN_EVERY) >= 0) {
      lastScan = now;
      if (plan.isPresent() && plan.get().durability() == Plan.Durability.SYNC && failoverEntered) {
        for (NodeView v : nodes.all()) {
          Goal g = v.goal();
          if (g != null && g.getState() == NodeState.STREAMING_STANDBY && g.getRebuild() && !watches.containsKey(v.nodeId())) {
            upstreamOf(g).ifPresent(up -> watch(v.nodeId(), up.nodeId()));
          }
        }
      }
    }
    for (Watch w : watches.values()) {
      w.tick();
    }
  }

  /** Starts watching {@code standby} (no-op when it is watched already). Returns true: it is watched. */
  public boolean watch(String standby, String upstream) {
    watches.computeIfAbsent(standby, id -> new Watch(standby, upstream));
    return true;
  }

  private Optional<NodeView> upstreamOf(Goal standbyGoal) {
    return nodes.all().stream().filter(u -> u.hello() != null && u.goal() != null
        && u.goal().getState() == NodeState.PRIMARY
        && u.hello().getHost().equals(standbyGoal.getUpstream().getHost())
        && u.hello().getPgPort() == standbyGoal.getUpstream().getPort()).findFirst();
  }

  private final class Watch {
    private final String standby;
    private final String upstream;
    private final String app;
    private final Instant started = clock.instant();
    private Instant lastStreaming;
    private boolean sync;

    Watch(String standby, String upstream) {
      this.standby = standby;
      this.upstream = upstream;
      this.app = Goals.applicationName(standby);
    }

    void tick() {
      try {
        Optional<Plan> plan = journey.plan();
        Optional<NodeView> sv = nodes.node(standby);
        Optional<NodeView> uv = nodes.node(upstream);
        if (plan.isEmpty() || sv.isEmpty() || uv.isEmpty() || !still(sv.get(), uv.get())) {
          LOG.info("standby sync watch of " + standby + " ends: its goal or " + upstream + "'s changed");
          watches.remove(standby);
          return;
        }
        Status us = uv.get().status();
        if (us == null || !uv.get().connected()) {
          return;
        }
        Instant now = clock.instant();
        boolean streaming = us.getReplicasList().stream().anyMatch(r -> r.getApplicationName().equals(app)
            && r.getState().equals("streaming"));
        boolean named = us.getSyncState().contains(app);
        if (streaming) {
          lastStreaming = now;
          if (!named || !sync) {
            boolean changed = SyncDurability.sync(() -> Endpoints.admin(plan.get(), uv.get(), "postgres").connect(Purpose.ADMIN), app,
                Duration.ofSeconds(5)).run();
            if (changed || !sync) {
              sync = true;
              String msg = standby + " streams from " + upstream + ": durability sync (synchronous_standby_names = "
                  + SyncDurability.standbyNames(app) + ")";
              LOG.info(msg);
              if (changed) {
                journey.decision(msg, Map.of("durability", "sync", "node", standby, "upstream", upstream));
              }
            }
          }
        } else if (named && Duration.between(lastStreaming == null ? started : lastStreaming, now)
            .compareTo(plan.get().failover().detectAfter()) > 0) {
          SyncDurability.async(() -> Endpoints.admin(plan.get(), uv.get(), "postgres").connect(Purpose.ADMIN), Duration.ofSeconds(5)).run();
          sync = false;
          String msg = standby + " not streaming from " + upstream + " for " + plan.get().failover().detectAfter().toMillis()
              + " ms: durability dropped to async on " + upstream + " (commits no longer wait for " + standby + ")";
          LOG.warning(msg);
          journey.decision(msg, Map.of("durability", "async", "node", standby, "upstream", upstream,
              "last_streaming_at", String.valueOf(lastStreaming)));
        }
      } catch (Exception | LinkageError e) {
        LOG.warning("standby sync watch of " + standby + ": " + e);
      }
    }

    private boolean still(NodeView s, NodeView u) {
      Goal sg = s.goal();
      Goal ug = u.goal();
      return sg != null && ug != null && sg.getState() == NodeState.STREAMING_STANDBY && ug.getState() == NodeState.PRIMARY
          && u.hello() != null && sg.getUpstream().getHost().equals(u.hello().getHost())
          && sg.getUpstream().getPort() == u.hello().getPgPort();
    }
  }

  @Override
  public void close() {
    watches.clear();
  }
}
