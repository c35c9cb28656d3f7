package io.pgferry.controller.standby;

import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.failover.SyncDurability;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.link.NodeDirectory;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * durability: sync for a standby added back after a failover (the failover monitor only watches A and B before it):
 * once the primary reports the standby streaming, the primary's synchronous_standby_names names it; when the primary
 * has not seen it streaming for failover.detect_after, back to async so the primary's commits do not hang. Each
 * change is journaled as a DECISION. One watch per standby, on its own thread; it ends when the standby's or the
 * upstream's goal changes. A restarted controller resumes the watches of add-standby goals ({@link #resume}).
 */
public final class SyncWatch implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SyncWatch.class.getName());

  private final JourneyService journey;
  private final NodeDirectory nodes;
  private final Clock clock;
  private final Duration every;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgferry-standby-sync");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, ScheduledFuture<?>> watches = new ConcurrentHashMap<>();

  public SyncWatch(JourneyService journey, NodeDirectory nodes, Clock clock, Duration every) {
    this.journey = journey;
    this.nodes = nodes;
    this.clock = clock;
    this.every = every;
  }

  /**
   * Watches every node holding an add-standby goal (rebuild) of a PRIMARY, after a failover: scans every second, as
   * a restarted controller learns the nodes' addresses only when their agents connect again.
   */
  public SyncWatch resume() {
    thread.scheduleWithFixedDelay(() -> {
      try {
        Optional<Plan> plan = journey.plan();
        if (plan.isEmpty() || plan.get().durability() != Plan.Durability.SYNC || !journey.failoverEntered()) {
          return;
        }
        for (NodeView v : nodes.all()) {
          Goal g = v.goal();
          if (g != null && g.getState() == NodeState.STREAMING_STANDBY && g.getRebuild() && !watches.containsKey(v.nodeId())) {
            upstreamOf(g).ifPresent(up -> watch(v.nodeId(), up.nodeId()));
          }
        }
      } catch (Exception e) {
        LOG.warning("standby sync watch: cannot resume: " + e);
      }
    }, 0, 1, TimeUnit.SECONDS);
    return this;
  }

  /** Starts watching {@code standby} (no-op when it is watched already). Returns true: it is watched. */
  public boolean watch(String standby, String upstream) {
    watches.computeIfAbsent(standby, id -> {
      Watch w = new Watch(standby, upstream);
      return thread.scheduleWithFixedDelay(w::tick, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    });
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
          watches.remove(standby).cancel(false);
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
            boolean changed = SyncDurability.makeSync(() -> Endpoints.admin(plan.get(), uv.get(), "postgres").connect(Purpose.ADMIN), app,
                Duration.ofSeconds(5));
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
          SyncDurability.dropToAsync(() -> Endpoints.admin(plan.get(), uv.get(), "postgres").connect(Purpose.ADMIN), Duration.ofSeconds(5));
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
    thread.shutdownNow();
  }
}
