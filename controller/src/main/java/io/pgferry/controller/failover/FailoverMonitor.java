package io.pgferry.controller.failover;

import io.pgferry.common.pg.PgConnections;
import io.pgferry.common.pg.Purpose;
import io.pgferry.common.pg.Timeouts;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.proto.Status;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Watches A and B on its own thread. Before cutover 1, while the journey runs: for a loss that needs a rebuild
 * ({@link ReplicaLossWatch}). Between cutover 1 and the app's move to T: feeds
 * {@link FailureDetector} a fresh snapshot every {@code every}, logs and journals each change of verdict with its
 * evidence, enters FAILOVER when A has failed; in durability sync keeps B A's synchronous standby while B streams
 * and drops A to async when B is declared lost (so A's commits do not hang).
 */
public final class FailoverMonitor implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(FailoverMonitor.class.getName());
  private static final Duration FRESH_STATUS = Duration.ofMillis(1500);

  private final JourneyService journey;
  private final NodeDirectory nodes;
  private final Clock clock;
  private final Duration every;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgferry-failover-monitor");
    t.setDaemon(true);
    return t;
  });
  private final Instant watchingSince;
  private Instant aPgLastReachable;
  private FailureDetector.Kind lastPrimaryKind;
  private FailureDetector.Kind lastStandbyKind;
  private boolean droppedToAsync;
  private final ReplicaLossWatch replicaLoss;

  public FailoverMonitor(JourneyService journey, NodeDirectory nodes, Clock clock, Duration every) {
    this.journey = journey;
    this.nodes = nodes;
    this.clock = clock;
    this.every = every;
    this.watchingSince = clock.instant();
    this.replicaLoss = new ReplicaLossWatch(journey, nodes, watchingSince);
  }

  public FailoverMonitor start() {
    thread.scheduleWithFixedDelay(this::tick, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void tick() {
    try {
      Optional<Plan> plan = journey.plan();
      if (plan.isEmpty() || !plan.get().failover().enabled()) {
        return;
      }
      if (journey.rebuildReachable() && journey.running()) {
        replicaLoss.watch(plan.get(), clock.instant());
        return;
      }
      Optional<Phase> at = journey.standingPhase();
      if (at.isEmpty() || !JourneyTable.failoverReachableFrom(at.get()) || journey.failoverEntered()) {
        return;
      }
      watch(plan.get());
    } catch (Exception | LinkageError e) {
      LOG.warning("failover monitor: " + e);
    }
  }

  private void watch(Plan plan) throws Exception {
    String a = plan.nodes().archiveReplica();
    String b = plan.nodes().standby();
    Optional<NodeView> av = nodes.node(a);
    Optional<NodeView> bv = nodes.node(b);
    if (av.isEmpty() || bv.isEmpty()) {
      return;
    }
    Instant now = clock.instant();
    probeA(plan, av.get(), now);
    String bApp = Goals.applicationName(b);
    Status as = av.get().status() == null ? Status.getDefaultInstance() : av.get().status();
    Status bs = bv.get().status() == null ? Status.getDefaultInstance() : bv.get().status();
    boolean sendsToB = as.getReplicasList().stream().anyMatch(r -> r.getApplicationName().equals(bApp)
        && r.getState().equals("streaming"));
    FailureDetector.Snapshot snap = new FailureDetector.Snapshot(now, watchingSince,
        new FailureDetector.NodeSeen(a, av.get().connected(), av.get().lastSeen(), aPgLastReachable, "", null, sendsToB),
        new FailureDetector.NodeSeen(b, bv.get().connected(), bv.get().lastSeen(), null, bs.getWalReceiverStatus(),
            bv.get().lastSeen(), false));
    Duration detectAfter = plan.failover().detectAfter();

    FailureDetector.Verdict primary = FailureDetector.primaryFailed(snap, detectAfter);
    if (primary.kind() != lastPrimaryKind) {
      boolean first = lastPrimaryKind == null;
      lastPrimaryKind = primary.kind();
      log(primary);
      if (!(first && primary.kind() == FailureDetector.Kind.HEALTHY)) {
        journey.decision(primary.reason(), primary.evidence());
      }
    }
    if (primary.failed()) {
      Map<String, String> ev = new LinkedHashMap<>(primary.evidence());
      ev.put("decided_at", now.toString());
      LOG.warning("FAILOVER: " + primary.reason() + " " + ev);
      LOG.info(journey.failover("automatic failover: " + primary.reason(), ev));
      return;
    }
    if (plan.durability() == Plan.Durability.SYNC) {
      durability(plan, av.get(), as, snap, detectAfter, bApp);
    }
  }

  /** sync: B synchronous while it streams; async as soon as B is declared lost. */
  private void durability(Plan plan, NodeView av, Status as, FailureDetector.Snapshot snap, Duration detectAfter,
                          String bApp) throws Exception {
    FailureDetector.Verdict standby = FailureDetector.standbyLost(snap, detectAfter);
    if (standby.kind() != lastStandbyKind) {
      lastStandbyKind = standby.kind();
      log(standby);
    }
    boolean syncNow = !as.getSyncState().isEmpty();
    if (standby.failed() && syncNow) {
      try {
        SyncDurability.dropToAsync(() -> Endpoints.admin(plan, av, "postgres").connect(Purpose.ADMIN), Duration.ofSeconds(5));
      } catch (Exception e) {
        LOG.warning("could not drop " + av.nodeId() + " to async: " + e.getMessage());
        return;
      }
      droppedToAsync = true;
      Map<String, String> ev = new LinkedHashMap<>(standby.evidence());
      ev.put("durability", "async");
      String msg = standby.reason() + ": durability dropped to async on " + av.nodeId()
          + " (commits no longer wait for " + snap.b().nodeId() + ")";
      LOG.warning(msg);
      journey.decision(msg, ev);
    } else if (standby.kind() == FailureDetector.Kind.HEALTHY && !syncNow && av.connected()) {
      if (!SyncDurability.makeSync(() -> Endpoints.admin(plan, av, "postgres").connect(Purpose.ADMIN), bApp, Duration.ofSeconds(5))) {
        return; // already in force; A's Status had not caught up yet
      }
      String msg = snap.b().nodeId() + " streams from " + av.nodeId() + ": durability sync (synchronous_standby_names = "
          + SyncDurability.standbyNames(bApp) + ")" + (droppedToAsync ? " again" : "");
      droppedToAsync = false;
      LOG.info(msg);
      journey.decision(msg, Map.of("durability", "sync"));
    }
  }

  /** Whether the node's last Status is recent enough to speak for its PostgreSQL now. */
  static boolean freshStatus(NodeView v, Instant now) {
    return v.connected() && v.lastSeen() != null && Duration.between(v.lastSeen(), now).compareTo(FRESH_STATUS) < 0;
  }

  /** A's PostgreSQL counts as reachable when its agent's fresh Status says so, else when it accepts a session. */
  private void probeA(Plan plan, NodeView av, Instant now) {
    if (freshStatus(av, now) && av.status() != null && av.status().getPgReachable()) {
      aPgLastReachable = now;
      return;
    }
    if (av.hello() == null || av.hello().getHost().isEmpty()) {
      return;
    }
    Timeouts oneSecondToConnect = Purpose.PROBE.defaults().with(Duration.ofSeconds(1), null, null, null);
    try (Connection c = PgConnections.open(Endpoints.admin(plan, av, "postgres"), Purpose.PROBE, oneSecondToConnect)) {
      aPgLastReachable = now;
    } catch (Exception e) {
      // unreachable: the detector counts the silence
    }
  }

  private static void log(FailureDetector.Verdict v) {
    String line = "failover monitor: " + v.kind() + ": " + v.reason() + " " + v.evidence();
    if (v.kind() == FailureDetector.Kind.HEALTHY) {
      LOG.info(line);
    } else {
      LOG.warning(line);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
