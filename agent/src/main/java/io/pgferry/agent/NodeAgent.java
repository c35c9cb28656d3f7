package io.pgferry.agent;

import io.pgferry.agent.cluster.BaseBackupProvider;
import io.pgferry.agent.cluster.LocalPostgres;
import io.pgferry.agent.cluster.PgCtl;
import io.pgferry.agent.cluster.Observation;
import io.pgferry.agent.cluster.PgBaseBackup;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.config.DataDir;
import io.pgferry.agent.converge.Converger;
import io.pgferry.agent.converge.NodeContext;
import io.pgferry.agent.converge.Transition;
import io.pgferry.agent.converge.Transitions;
import io.pgferry.agent.fence.Lease;
import io.pgferry.agent.fence.LeasePolicy;
import io.pgferry.agent.fence.LeaseTimer;
import io.pgferry.agent.link.LinkHandler;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.agent.state.StateFile;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.common.Backoff;
import io.pgferry.common.Command;
import io.pgferry.common.Lsn;
import io.pgferry.proto.Disk;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent core: holds the node's goal and persisted state, observes the local PostgreSQL every second on a
 * worker thread, and converges it to the goal on another (see {@link Converger}). The link to the controller
 * talks to it through {@link LinkHandler}; those calls only read snapshots or record intent and return at once.
 */
public final class NodeAgent implements LinkHandler, AutoCloseable {
  public static final String AGENT_VERSION = "0.1.0";
  private static final Logger LOG = Logger.getLogger(NodeAgent.class.getName());
  private static final Pattern PG_VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(\\.\\d+)?");

  /** Knobs and extension points; {@link #defaults()} for production. */
  public record Options(
      Duration observeEvery,
      Duration reconcileEvery,
      Backoff backoff,
      Converger.StepListener stepListener,
      List<TransitionTable.Row<Transition.Factory>> extraTransitions,
      List<BaseBackupProvider> extraBackupProviders) {
    public static Options defaults() {
      return new Options(Duration.ofSeconds(1), Duration.ofSeconds(5), Backoff.DEFAULT, (t, s) -> { }, List.of(), List.of());
    }

    public Options withStepListener(Converger.StepListener l) {
      return new Options(observeEvery, reconcileEvery, backoff, l, extraTransitions, extraBackupProviders);
    }

    public Options withBackoff(Backoff b) {
      return new Options(observeEvery, reconcileEvery, b, stepListener, extraTransitions, extraBackupProviders);
    }

    /** The archive engine registers ARCHIVE_REPLICA rows and its base backup method here. */
    public Options withExtensions(List<TransitionTable.Row<Transition.Factory>> rows, List<BaseBackupProvider> providers) {
      return new Options(observeEvery, reconcileEvery, backoff, stepListener, rows, providers);
    }
  }

  private final AgentConfig config;
  private final Options options;
  private final String pgVersion;
  private final int pgMajor;
  private final StateFile stateFile;
  private final NodeContext ctx;
  private final PgBaseBackup pgBaseBackup;
  private final Converger converger;
  private final ScheduledExecutorService observer;
  private final io.pgferry.agent.slots.SlotGuard slotGuard;
  private volatile Observation observation = Observation.notRunning(System.nanoTime());
  private volatile Lease lease = Lease.NONE;            // as granted by the controller
  private volatile Lease enforcedLease = Lease.NONE;    // what the converger enforces: expires a margin early
  private volatile LeasePolicy leasePolicy = LeasePolicy.DEFAULT;
  private final LeaseTimer leaseTimer = new LeaseTimer();
  private volatile boolean linkConnected;
  private volatile Runnable statusListener = () -> { };
  private volatile String lastReported = "";
  private final List<java.util.function.Consumer<Status.Builder>> statusContributors = new java.util.concurrent.CopyOnWriteArrayList<>();

  public NodeAgent(AgentConfig config) {
    this(config, Options.defaults());
  }

  public NodeAgent(AgentConfig config, Options options) {
    this.config = config;
    this.options = options;
    String[] version = serverVersion(config.postgres().binDir());
    this.pgVersion = version[0];
    this.pgMajor = Integer.parseInt(version[1]);
    try {
      Files.createDirectories(config.stateDir());
    } catch (IOException e) {
      throw new UncheckedIOException("state_dir " + config.stateDir() + ": cannot create: " + e.getMessage(), e);
    }
    Path statePath = config.stateDir().resolve(AgentConfig.STATE_FILE);
    NodeState inferred = Files.exists(statePath) ? NodeState.NODE_STATE_UNSPECIFIED : inferState();
    this.stateFile = StateFile.open(statePath, inferred);
    this.ctx = new NodeContext(config, stateFile, pgMajor);
    this.pgBaseBackup = new PgBaseBackup(ctx.clientTools(), config.postgres().osUser(), config.postgres().passwordFile());
    options.extraBackupProviders().forEach(ctx::addBackupProvider);
    ctx.addBackupProvider(pgBaseBackup);
    this.converger = new Converger(ctx, Transitions.defaultTable(options.extraTransitions()), options.backoff(),
        options.reconcileEvery(), options.stepListener(), this::enforcedLease, System::nanoTime, this::observeSoon);
    var pg = config.postgres();
    this.slotGuard = new io.pgferry.agent.slots.SlotGuard(new io.pgferry.agent.slots.SlotGuard.Wiring(pgMajor, pg.dataDir(),
        pg.osUser(), converger::goal,
        () -> stateFile.get().converged() && stateFile.get().state() == NodeState.STREAMING_STANDBY && ctx.pgCtl().isRunning(),
        io.pgferry.agent.slots.Connector.of(pg.localAddress(), pg.port(), "postgres", pg.passwordFile()),
        // reading a slot's state file on the primary needs a superuser (or pg_read_server_files): the agent's own
        u -> io.pgferry.agent.slots.Connector.of(u.getHost(), u.getPort(), "postgres",
            u.getPasswordFile().isEmpty() ? pg.passwordFile() : Path.of(u.getPasswordFile())),
        action -> converger.whileStopped("copying logical slots from the primary", action)), options.observeEvery());
    addStatusContributor(slotGuard::contributeTo);
    this.observer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pgferry-observer");
      t.setDaemon(true);
      return t;
    });
  }

  public NodeAgent start() {
    LOG.info("agent " + config.nodeId() + " starting: PostgreSQL " + pgVersion + ", data dir " + config.postgres().dataDir()
        + ", state " + stateFile.get().state() + ", goal generation " + stateFile.get().goalGeneration());
    observer.scheduleWithFixedDelay(this::observeOnce, 0, options.observeEvery().toMillis(), TimeUnit.MILLISECONDS);
    converger.start();
    slotGuard.start();
    return this;
  }

  /**
   * Lets another part add to every Status (the archive engine fills Status.archive). Contributors run on the
   * caller's thread, possibly an event loop: they only copy fields they already hold.
   */
  public void addStatusContributor(java.util.function.Consumer<Status.Builder> contributor) {
    statusContributors.add(contributor);
  }

  /**
   * Called when what Status reports changed meaningfully (the link then sends a Status at once). Runs on the
   * agent's worker threads (observer, converger): the listener must hop to its own context and return quickly.
   */
  public void onStatusChanged(Runnable listener) {
    this.statusListener = Objects.requireNonNull(listener);
  }

  /** After a transition step: observe PostgreSQL again before reporting, so a new state never travels with an old observation. */
  private void observeSoon() {
    try {
      observer.execute(this::observeOnce);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      maybeStatusChanged(); // shutting down
    }
  }

  private void observeOnce() {
    try {
      boolean running = ctx.pgCtl().isRunning();
      observation = running ? ctx.localPostgresForObserver().observe(System.nanoTime(), true)
          : Observation.notRunning(System.nanoTime());
      if (stateFile.get().state() == NodeState.PRIMARY && enforcedLease().expired(System.nanoTime())) {
        converger.wake();
      }
      maybeStatusChanged();
    } catch (RuntimeException e) {
      LOG.warning("observing PostgreSQL failed: " + e);
    }
  }

  private void maybeStatusChanged() {
    Status s = status();
    String key = s.getState() + "|" + s.getTransition() + "|" + s.getLastError() + "|" + s.getPgRunning() + "|"
        + s.getInRecovery() + "|" + s.getTimeline() + "|" + s.getWalReceiverStatus() + "|" + s.getGoalGeneration();
    if (!key.equals(lastReported)) {
      lastReported = key;
      statusListener.run();
    }
  }

  // ---- LinkHandler ----

  @Override
  public Hello hello() {
    NodeRecord r = stateFile.get();
    Hello.Builder b = Hello.newBuilder()
        .setNodeId(config.nodeId())
        .setHost(config.postgres().host())
        .setPgPort(config.postgres().port())
        .setPgMajor(pgMajor)
        .setPgVersion(pgVersion)
        .setDataDir(config.postgres().dataDir().toString())
        .setAgentVersion(AGENT_VERSION)
        .addAllCapabilities(capabilities())
        .setCurrentState(r.state());
    Goal goal = converger.goal();
    if (goal != null) {
      b.setCurrentGoal(goal);
    }
    return b.build();
  }

  private List<String> capabilities() {
    List<String> caps = new ArrayList<>();
    ctx.backupProviders().keySet().forEach(m -> caps.add(switch (m) {
      case PG_BASEBACKUP -> "basebackup";
      case ARCHIVE -> "archive";
      default -> m.name().toLowerCase(java.util.Locale.ROOT);
    }));
    return caps;
  }

  @Override
  public Status status() {
    NodeRecord r = stateFile.get();
    Observation o = observation;
    long now = System.nanoTime();
    Status.Builder b = Status.newBuilder()
        .setNodeId(config.nodeId())
        .setState(reportedState(r))
        .setGoalGeneration(goalGeneration())
        .setTransition(converger.transition())
        .setLastError(converger.lastError())
        .setPgRunning(o.running())
        .setPgReachable(o.reachable())
        .setInRecovery(o.inRecovery())
        .setTimeline(o.timeline())
        .setReceiveLsn(text(o.receiveLsn()))
        .setReplayLsn(text(o.replayLsn()))
        .setCurrentLsn(text(o.currentLsn()))
        .setReplayLagBytes(o.replayLagBytes())
        .setUpstreamLagBytes(-1)
        .setReplayLagMs(o.replayLagMs())
        .setWalReceiverStatus(o.walReceiverStatus())
        .setUpstream(o.upstream())
        .addAllSlots(o.slots())
        .addAllReplicas(o.replicas())
        .setSyncState(o.syncStandbyNames())
        .setDisk(disk())
        .setLeaseValid(lease.granted() && !lease.expired(now))
        .setLeaseRemainingMs(lease.remainingMs(now))
        .setFenced(r.state() == NodeState.FENCED)
        .setPgMajor(pgMajor);
    statusContributors.forEach(c -> c.accept(b));
    return b.build();
  }

  private long goalGeneration() {
    Goal g = converger.goal();
    return g == null ? 0 : g.getGeneration();
  }

  private NodeState reportedState(NodeRecord r) {
    // a failed step being retried is still FAILED: the controller must see the trouble, not a hopeful INITIALIZING
    if (!converger.lastError().isEmpty()) {
      return NodeState.FAILED;
    }
    if (converger.transitionRunning()) {
      return NodeState.INITIALIZING;
    }
    return r.state();
  }

  @Override
  public void onAssignment(Goal goal, OptionalLong leaseExpiresAtNanos) {
    Goal held = converger.goal();
    if (held != null && goal.getGeneration() < held.getGeneration()) {
      LOG.fine("ignoring goal generation " + goal.getGeneration() + " (holding " + held.getGeneration() + ")");
      return;
    }
    if (goal.getState() == NodeState.PRIMARY && leaseExpiresAtNanos.isPresent()) {
      // same generation: a renewal, not a new transition (offerGoal below does nothing for an unchanged goal)
      lease = Lease.until(leaseExpiresAtNanos.getAsLong());
      enforcedLease = leasePolicy.enforced(lease, System.nanoTime());
      leaseTimer.wakeAt(enforcedLease.expiresAtNanos(), converger::wake);
      if (stateFile.get().state() == NodeState.FENCED) {
        converger.wake(); // a renewal may lift a lease fence
      }
    } else if (goal.getState() != NodeState.PRIMARY) {
      lease = Lease.NONE;
      enforcedLease = Lease.NONE;
    }
    converger.offerGoal(goal); // persisted on the converger thread: no file I/O on the event loop
  }

  @Override
  public void onLinkState(boolean connected) {
    linkConnected = connected;
  }

  // ---- for metrics, health, tests ----

  public Observation observation() {
    return observation;
  }

  public NodeRecord record() {
    return stateFile.get();
  }

  public boolean linkConnected() {
    return linkConnected;
  }

  public Lease lease() {
    return lease;
  }

  /**
   * When to fence (see {@link LeasePolicy}); {@link LeasePolicy#CONTROLLED} when goals come from the controller, so
   * a restarted agent holding a PRIMARY goal stays fenced until the controller renews its lease.
   */
  public void leasePolicy(LeasePolicy policy) {
    this.leasePolicy = Objects.requireNonNull(policy);
  }

  /** The lease the converger enforces: a margin early; already expired for a PRIMARY goal without one when required. */
  private Lease enforcedLease() {
    Lease l = enforcedLease;
    if (!l.granted() && leasePolicy.required()) {
      Goal g = converger.goal();
      if (g != null && g.getState() == NodeState.PRIMARY) {
        return LeasePolicy.expiredAt(System.nanoTime());
      }
    }
    return l;
  }

  public long transitionFailures() {
    return converger.failures();
  }

  public io.pgferry.agent.slots.SlotGuard slotGuard() {
    return slotGuard;
  }

  public Converger converger() {
    return converger;
  }

  public NodeContext context() {
    return ctx;
  }

  public int pgBaseBackupRuns() {
    return pgBaseBackup.runs();
  }

  public AgentConfig config() {
    return config;
  }

  /** Whether PostgreSQL should be running for the state the node is in (or converging to). */
  public boolean postgresShouldRun() {
    NodeRecord r = stateFile.get();
    return r.converged() && switch (r.state()) {
      case PRIMARY, STREAMING_STANDBY, ARCHIVE_REPLICA -> true;
      default -> false;
    };
  }

  private Disk disk() {
    Path p = config.postgres().dataDir();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p == null) {
      return Disk.getDefaultInstance();
    }
    try {
      FileStore fs = Files.getFileStore(p);
      return Disk.newBuilder().setDataDirFreeBytes(fs.getUsableSpace()).setDataDirTotalBytes(fs.getTotalSpace())
          .setDataDirUsedBytes(fs.getTotalSpace() - fs.getUnallocatedSpace()).build();
    } catch (IOException e) {
      return Disk.getDefaultInstance();
    }
  }

  private static String text(Lsn lsn) {
    return lsn.isValid() ? lsn.toString() : "";
  }

  private NodeState inferState() {
    Path dataDir = config.postgres().dataDir();
    if (!DataDir.holdsCluster(dataDir)) {
      return NodeState.EMPTY;
    }
    var pg = config.postgres();
    if (!new PgCtl(pg.binDir(), dataDir, pg.osUser()).isRunning()) {
      return NodeState.STOPPED;
    }
    try (LocalPostgres local = new LocalPostgres(pg.localAddress(), pg.port(), "postgres", pg.passwordFile())) {
      return local.isInRecovery() ? NodeState.STREAMING_STANDBY : NodeState.PRIMARY;
    } catch (java.sql.SQLException e) {
      return NodeState.STOPPED; // running but not answering: the first transition finds out more
    }
  }

  /** {version, major} from `postgres --version`, e.g. {"15.18", "15"}. */
  static String[] serverVersion(Path binDir) {
    Command.Result r = Command.of(binDir.resolve("postgres").toString(), "--version").run();
    Matcher m = PG_VERSION.matcher(r.stdout());
    if (!r.ok() || !m.find()) {
      throw new IllegalStateException(binDir.resolve("postgres") + " --version did not name a version: " + r.stdout() + r.stderr());
    }
    return new String[] {m.group(1) + (m.group(2) == null ? "" : m.group(2)), m.group(1)};
  }

  @Override
  public void close() {
    slotGuard.close();
    leaseTimer.close();
    observer.shutdownNow();
    converger.close();
    try {
      observer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ctx.localPostgresForObserver().close();
  }
}
