package io.pgferry.controller.loop;

import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.failover.FailureDetector;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.sql.failover.SyncDurability;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.journey.JournalState;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.standby.SyncWatch;
import io.pgferry.controller.store.Leadership;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The controller's one loop, as Patroni's {@code _run_cycle}: every {@link #EVERY} (and at once when an API call
 * records an intent) it reads one {@link LoopSnapshot} - leadership, the applied plan, the journal, the engine, the
 * intent, the nodes -, lets {@link LoopDecider} decide from it alone, and acts on the {@link Decision}. Long actions
 * (a failover or a rebuild, which first wait for the running engine to stop) run off the loop on its action thread;
 * until they end each cycle decides IN_PROGRESS. The journey's phases run on the engine's thread as before. Each cycle
 * also lets {@link SyncWatch} look at the standbys added after a failover.
 */
public final class ControllerLoop implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ControllerLoop.class.getName());
  /** How often the loop runs when nothing wakes it (the failure detector's resolution). */
  public static final Duration EVERY = Duration.ofMillis(250);
  private static final JournalState NO_JOURNAL = JournalState.replay(List.of());

  private final JourneyService journey;
  private final NodeDirectory nodes;
  private final Leadership leadership;
  private final Clock clock;
  private final SyncWatch standbySync;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgferry-controller-loop");
    t.setDaemon(true);
    return t;
  });
  private final ExecutorService actions = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "pgferry-controller-action");
    t.setDaemon(true);
    return t;
  });
  private volatile NodeWatch watch;
  private boolean wasLeading;
  private volatile Future<?> action;
  private volatile String actionWhat;
  private volatile Decision last = Decision.of(Decision.Action.NOTHING, "not started");

  public ControllerLoop(JourneyService journey, NodeDirectory nodes, Leadership leadership, Clock clock,
                        SyncWatch standbySync) {
    this.journey = journey;
    this.nodes = nodes;
    this.leadership = leadership;
    this.clock = clock;
    this.standbySync = standbySync;
    this.watch = new NodeWatch(clock.instant());
  }

  /** Runs the loop and takes the journey's intents from now on. */
  public ControllerLoop start() {
    thread.scheduleWithFixedDelay(this::cycleLogged, EVERY.toMillis(), EVERY.toMillis(), TimeUnit.MILLISECONDS);
    journey.intents().attach(this::wake);
    return this;
  }

  /** Runs a cycle now (an API call recorded an intent). */
  public void wake() {
    if (!thread.isShutdown()) {
      thread.execute(this::cycleLogged);
    }
  }

  /**
   * A new term as leader (etcd: elected, the agent link just started): silence before now is not counted, as the
   * agents were connected to another controller.
   */
  public void newTerm() {
    thread.execute(() -> watch = new NodeWatch(clock.instant()));
  }

  /**
   * This controller lost the lead (etcd): a long action of its term (a failover waiting for the engine to stop) is
   * interrupted, so it never starts an engine for a controller that no longer leads.
   */
  public void deposed() {
    Future<?> a = action;
    if (a != null) {
      a.cancel(true);
    }
  }

  /** The last cycle's decision (status, tests). */
  public Decision lastDecision() {
    return last;
  }

  private void cycleLogged() {
    try {
      Decision d = cycle();
      if (!d.sentence().equals(last.sentence())) {
        LOG.fine("controller loop: " + d.sentence());
      }
      last = d;
    } catch (Exception | LinkageError e) {
      LOG.warning("controller loop: " + e);
    }
  }

  /** One cycle: snapshot, decide, act. On the loop's thread only. */
  Decision cycle() throws Exception {
    LoopSnapshot s = snapshot();
    Decision d = LoopDecider.decide(s);
    act(s, d);
    if (s.leading()) { // after a failover: the standbys `pgferry add-standby` built, in durability sync
      standbySync.cycle(s.plan(), s.journal().phaseStartedAt(Phase.FAILOVER).isPresent(), s.now());
    }
    return d;
  }

  private LoopSnapshot snapshot() throws Exception {
    Instant now = clock.instant();
    boolean leading = leadership.leading();
    if (leading && !wasLeading) {
      watch = new NodeWatch(now);
    }
    wasLeading = leading;
    NodeWatch w = watch;
    if (!leading) {
      while (journey.intents().take().isPresent()) {
        // an intent recorded while this controller led is not acted on in a later term: drop it
      }
      return new LoopSnapshot(now, false, Optional.empty(), NO_JOURNAL, false, Optional.empty(), Optional.empty(),
          LoopSnapshot.Nodes.unseen(w.watchingSince()));
    }
    JourneyService.View view = journey.view();
    Optional<String> inProgress = action != null && !action.isDone() ? Optional.of(actionWhat) : Optional.empty();
    LoopSnapshot base = new LoopSnapshot(now, true, view.plan(), view.journal(), view.running(), inProgress,
        journey.intents().peek(), LoopSnapshot.Nodes.unseen(w.watchingSince()));
    return switch (LoopDecider.watch(base)) {
      case REPLICAS -> base.withNodes(w.replicas(view.plan().orElseThrow(), nodes, now));
      case PAIR -> base.withNodes(w.pair(view.plan().orElseThrow(), nodes, now,
          view.journal().isDone(JourneyTable.LS_CONTROLLER_ROLE)));
      case NONE -> base;
    };
  }

  private void act(LoopSnapshot s, Decision d) throws Exception {
    NodeWatch w = watch;
    for (Map.Entry<String, FailureDetector.Verdict> e : d.verdicts().entrySet()) {
      boolean first = w.firstVerdict(e.getKey());
      FailureDetector.Verdict v = e.getValue();
      if (w.changed(e.getKey(), v)) {
        String line = "controller loop: " + v.kind() + ": " + v.reason() + " " + v.evidence();
        if (v.kind() == FailureDetector.Kind.HEALTHY) {
          LOG.info(line);
        } else {
          LOG.warning(line);
        }
        if (e.getKey().equals("primary") && !(first && v.kind() == FailureDetector.Kind.HEALTHY)) {
          journey.decision(v.reason(), v.evidence());
        }
      }
    }
    switch (d.action()) {
      case STOP -> {
        journey.intents().take();
        LOG.info("controller loop: " + journey.abort());
      }
      case FAILOVER -> {
        boolean asked = s.intent().isPresent();
        if (asked) {
          journey.intents().take();
        } else {
          LOG.warning("FAILOVER: " + d.why() + " " + d.evidence());
        }
        offLoop("failover under way: " + d.why(), () -> journey.failover(d.why(), d.evidence()));
      }
      case REBUILD -> {
        String node = d.node().orElseThrow();
        w.forget(node);
        LOG.warning("REBUILD: " + d.why() + " " + d.evidence());
        offLoop("rebuilding " + node, () -> journey.rebuild(node, d.why(), d.evidence()));
      }
      case DURABILITY_ASYNC -> durabilityAsync(s.plan().orElseThrow(), d, w);
      case DURABILITY_SYNC -> durabilitySync(s.plan().orElseThrow(), d, w);
      case NOTHING, IN_PROGRESS, WATCH -> { }
    }
  }

  /** Runs a long action on the action thread; until it ends each cycle decides IN_PROGRESS with {@code what}. */
  private void offLoop(String what, Callable<String> work) {
    actionWhat = what;
    action = actions.submit(() -> {
      try {
        LOG.info("controller loop: " + work.call());
      } catch (Exception e) {
        LOG.warning("controller loop: " + what + " failed: " + e);
      }
      wake();
    });
  }

  private void durabilityAsync(Plan plan, Decision d, NodeWatch w) throws Exception {
    NodeView av = nodes.node(plan.nodes().archiveReplica()).orElseThrow();
    try {
      SyncDurability.async(() -> Endpoints.admin(plan, av, "postgres").connect(Purpose.ADMIN), Duration.ofSeconds(5)).run();
    } catch (Exception e) {
      LOG.warning("could not drop " + av.nodeId() + " to async: " + e.getMessage());
      return;
    }
    w.droppedToAsync(true);
    LOG.warning(d.why());
    journey.decision(d.why(), d.evidence());
  }

  private void durabilitySync(Plan plan, Decision d, NodeWatch w) throws Exception {
    NodeView av = nodes.node(plan.nodes().archiveReplica()).orElseThrow();
    String bApp = Goals.applicationName(plan.nodes().standby());
    if (!SyncDurability.sync(() -> Endpoints.admin(plan, av, "postgres").connect(Purpose.ADMIN), bApp,
        Duration.ofSeconds(5)).run()) {
      return; // already in force; A's Status had not caught up yet
    }
    String msg = d.why() + " (synchronous_standby_names = " + SyncDurability.standbyNames(bApp) + ")"
        + (w.droppedToAsync() ? " again" : "");
    w.droppedToAsync(false);
    LOG.info(msg);
    journey.decision(msg, d.evidence());
  }

  @Override
  public void close() {
    thread.shutdownNow();
    actions.shutdownNow();
  }
}
