package io.pgferry.agent;

import io.pgferry.agent.access.BootstrapSuperuser;
import io.pgferry.agent.cluster.BaseBackupProvider;
import io.pgferry.agent.cluster.PgBaseBackup;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.converge.Converger;
import io.pgferry.agent.converge.NodeContext;
import io.pgferry.agent.converge.Transition;
import io.pgferry.agent.converge.Transitions;
import io.pgferry.agent.core.LeaseKeeper;
import io.pgferry.agent.core.Observer;
import io.pgferry.agent.core.PgVersion;
import io.pgferry.agent.core.StartupInference;
import io.pgferry.agent.core.StatusReporter;
import io.pgferry.agent.core.WalReceiverWatch;
import io.pgferry.agent.fence.LeaseFile;
import io.pgferry.agent.fence.LeasePolicy;
import io.pgferry.agent.goal.GoalGate;
import io.pgferry.agent.goal.GoalValidator;
import io.pgferry.agent.link.LinkHandler;
import io.pgferry.agent.slots.Connector;
import io.pgferry.agent.slots.SlotGuard;
import io.pgferry.agent.snapshot.SnapshotHolder;
import io.pgferry.agent.state.NodeRecord;
import io.pgferry.agent.state.NodeTraits;
import io.pgferry.agent.state.StateFile;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.common.Backoff;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The agent's assembly: wires the state file, the {@link Converger} (its own thread), the {@link Observer} (its own
 * thread), the {@link LeaseKeeper} and the {@link StatusReporter}, and answers the link through {@link LinkHandler};
 * those calls only read the reporter's cached Status or record intent and return at once (docs/agent-core.md).
 */
public final class NodeAgent implements LinkHandler, AutoCloseable {
  public static final String AGENT_VERSION = "0.1.0";
  /** Hello capability: this agent holds the initial copy's exported snapshot (Goal.export_snapshot). */
  public static final String EXPORT_SNAPSHOT_CAPABILITY = "export-snapshot";
  private static final Logger LOG = Logger.getLogger(NodeAgent.class.getName());

  /** Knobs and extension points; {@link #defaults()} for production. */
  public record Options(
      Duration observeEvery,
      Duration reconcileEvery,
      Backoff backoff,
      Converger.StepListener stepListener,
      TransitionTable<Transition.Factory> transitions,
      List<BaseBackupProvider> extraBackupProviders) {
    public static Options defaults() {
      return new Options(Duration.ofSeconds(1), Duration.ofSeconds(5), Backoff.DEFAULT, (t, s) -> { },
          Transitions.defaultTable(List.of()), List.of());
    }

    public Options withStepListener(Converger.StepListener l) {
      return new Options(observeEvery, reconcileEvery, backoff, l, transitions, extraBackupProviders);
    }

    /** The archive engine's table ({@code ArchiveExtension.table}: its ARCHIVE_REPLICA row first) and base backup method. */
    public Options withExtensions(TransitionTable<Transition.Factory> table, List<BaseBackupProvider> providers) {
      return new Options(observeEvery, reconcileEvery, backoff, stepListener, table, providers);
    }
  }

  private final AgentConfig config;
  private final List<Runnable> beforeObservingNow = new CopyOnWriteArrayList<>();
  private final PgVersion pgVersion;
  private final StateFile stateFile;
  private final NodeContext ctx;
  private final PgBaseBackup pgBaseBackup;
  private final Converger converger;
  private final LeaseKeeper leaseKeeper;
  private final StatusReporter reporter;
  private final Observer observer;
  private final SlotGuard slotGuard;
  private final SnapshotHolder snapshotHolder;
  private final GoalGate goalGate;
  private volatile boolean linkConnected;

  public NodeAgent(AgentConfig config) {
    this(config, Options.defaults());
  }

  public NodeAgent(AgentConfig config, Options options) {
    this.config = config;
    this.pgVersion = PgVersion.probe(config.postgres().binDir());
    try {
      Files.createDirectories(config.stateDir());
    } catch (IOException e) {
      throw new UncheckedIOException("state_dir " + config.stateDir() + ": cannot create: " + e.getMessage(), e);
    }
    Path statePath = config.stateDir().resolve(AgentConfig.STATE_FILE);
    NodeState inferred = Files.exists(statePath) ? NodeState.NODE_STATE_UNSPECIFIED : StartupInference.infer(config.postgres());
    this.stateFile = StateFile.open(statePath, inferred);
    this.ctx = new NodeContext(config, stateFile, pgVersion.major());
    this.pgBaseBackup = new PgBaseBackup(ctx.clientTools(), config.postgres().osUser(), config.postgres().passwordFile(),
        ctx.upstreamTls());
    options.extraBackupProviders().forEach(ctx::addBackupProvider);
    ctx.addBackupProvider(pgBaseBackup);
    this.leaseKeeper = new LeaseKeeper(this::heldGoal,
        () -> stateFile.get().state() == NodeState.PRIMARY, this::wakeConverger, new LeaseFile(config.stateDir()));
    this.converger = new Converger(ctx, options.transitions(), options.backoff(),
        options.reconcileEvery(), options.stepListener(), () -> leaseKeeper.enforced(System.nanoTime()), System::nanoTime,
        this::observeSoon);
    this.goalGate = new GoalGate(new GoalValidator(config.goals().limits(), pgVersion.major()));
    this.reporter = new StatusReporter(config.nodeId(), pgVersion.major(), stateFile, converger, leaseKeeper);
    reporter.goalRefusal(goalGate::refusal);
    this.observer = new Observer(ctx, reporter, options.observeEvery(), this::checkLease);
    var pg = config.postgres();
    this.slotGuard = new SlotGuard(new SlotGuard.Wiring(pgVersion.major(), pg.dataDir(),
        pg.osUser(), converger::goal,
        () -> stateFile.get().converged() && stateFile.get().state() == NodeState.STREAMING_STANDBY && ctx.pgCtl().isRunning(),
        Connector.local(ctx.localAccess()),
        // reading a slot's state file on the primary needs a superuser (or pg_read_server_files): the agent's own
        u -> u.getClientCert() ? Connector.of(u.getHost(), u.getPort(), u.getUser(), null, ctx.upstreamTls().params(u))
            : Connector.of(u.getHost(), u.getPort(), "postgres",
            u.getPasswordFile().isEmpty() ? pg.passwordFile() : Path.of(u.getPasswordFile())),
        action -> converger.whileStopped("copying logical slots from the primary", action)), options.observeEvery());
    addStatusContributor(slotGuard::contributeTo);
    this.snapshotHolder = new SnapshotHolder(new SnapshotHolder.Wiring(pgVersion.major(), converger::goal,
        () -> stateFile.get().converged() && stateFile.get().state() == NodeState.PRIMARY && ctx.pgCtl().isRunning(),
        ctx.localAccess(), config.stateDir()), options.observeEvery());
    addStatusContributor(snapshotHolder::contributeTo);
    addStatusContributor(b -> bootstrapSuperuser(pg.dataDir()).ifPresent(b::setBootstrapSuperuser));
    WalReceiverWatch walReceiver = new WalReceiverWatch(System.nanoTime());
    addStatusContributor(b -> {
      long now = System.nanoTime();
      b.setWalReceiverDownMs(walReceiver.update(b.getInRecovery() && "streaming".equals(b.getWalReceiverStatus()), now));
      b.setFailsafeServing(leaseKeeper.failsafe(now));
    });
  }

  public NodeAgent start() {
    LOG.info("agent " + config.nodeId() + " starting: PostgreSQL " + pgVersion.full() + ", data dir " + config.postgres().dataDir()
        + ", state " + stateFile.get().state() + ", goal generation " + stateFile.get().goalGeneration());
    observer.start();
    converger.start();
    slotGuard.start();
    snapshotHolder.start();
    return this;
  }

  /**
   * Lets another part add to every Status (the archive engine fills Status.archive). Contributors run when the
   * Status is built (after each observation, possibly on an event loop): they only copy fields they already hold.
   */
  public void addStatusContributor(Consumer<Status.Builder> contributor) {
    reporter.addContributor(contributor);
  }

  /**
   * Called when what Status reports changed meaningfully (the link then sends a Status at once). Runs on the
   * agent's worker threads (observer, converger): the listener must hop to its own context and return quickly.
   */
  public void onStatusChanged(Runnable listener) {
    reporter.onChanged(listener);
  }

  // the parts refer to each other: these resolve the references once all are built
  private Goal heldGoal() {
    return converger.goal();
  }

  private void wakeConverger() {
    converger.wake();
  }

  private void observeSoon() {
    observer.observeSoon();
  }

  /**
   * After each observation: the standby's reply extends the failsafe evidence; a PRIMARY whose enforced lease (and
   * evidence) ran out wakes the converger (it fences).
   */
  private void checkLease() {
    leaseKeeper.onObservation(reporter.observation());
    if (NodeTraits.of(stateFile.get().state()).needsLease() && leaseKeeper.enforced(System.nanoTime()).expired(System.nanoTime())) {
      converger.wake();
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
        .setPgMajor(pgVersion.major())
        .setPgVersion(pgVersion.full())
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
      default -> m.name().toLowerCase(Locale.ROOT);
    }));
    caps.add(EXPORT_SNAPSHOT_CAPABILITY);
    return caps;
  }

  /** The Status of the latest observation, with the lease as of now (memory only: safe on an event loop). */
  @Override
  public Status status() {
    return reporter.withLeaseNow();
  }

  @Override
  public CompletionStage<Void> observeNow() {
    return observer.observeNow(() -> beforeObservingNow.forEach(Runnable::run));
  }

  /**
   * Work to do before an observation asked for by the controller (StatusNow), on the observer's thread: the archive
   * engine fetches the segment recovery waits on and wakes PostgreSQL. Keep it short: the controller waits for it.
   */
  public void beforeObservingNow(Runnable work) {
    beforeObservingNow.add(work);
  }

  /** The one Status built per observation; /metrics and /health read it. */
  public StatusReporter reporter() {
    return reporter;
  }

  @Override
  public void onAssignment(Goal goal, OptionalLong leaseExpiresAtNanos) {
    Goal held = converger.goal();
    if (held != null && goal.getGeneration() < held.getGeneration()) {
      LOG.fine("ignoring goal generation " + goal.getGeneration() + " (holding " + held.getGeneration() + ")");
      return;
    }
    if (!goalGate.admit(goal)) {
      // the controller still wants the held PRIMARY: its lease renewal counts for it; nothing else changes
      if (held != null && held.getState() == goal.getState() && leaseKeeper.onGoal(held, leaseExpiresAtNanos, System.nanoTime())
          && leaseAwaited()) {
        converger.wake();
      }
      reporter.refresh();
      return;
    }
    if (leaseKeeper.onGoal(goal, leaseExpiresAtNanos, System.nanoTime()) && leaseAwaited()) {
      converger.wake();
    }
    converger.offerGoal(goal); // persisted on the converger thread: no file I/O on the event loop
    reporter.refresh();
  }

  /**
   * A lease just granted matters now to a node fenced for a lapsed lease (a renewal lifts the fence) or to a converger
   * that decided to wait for one before promoting: woken, it acts at once instead of at its next reconcile (5 s), which
   * a promotion whose goal came with an already-too-old lease used to wait for.
   */
  private boolean leaseAwaited() {
    return stateFile.get().state() == NodeState.FENCED || converger.waitingForLease();
  }

  @Override
  public void onLinkState(boolean connected) {
    linkConnected = connected;
  }

  // ---- for metrics, health, tests ----

  public NodeRecord record() {
    return stateFile.get();
  }

  public boolean linkConnected() {
    return linkConnected;
  }

  /**
   * When to fence (see {@link LeasePolicy}); {@link LeasePolicy#CONTROLLED} when goals come from the controller, so
   * a restarted agent holding a PRIMARY goal stays fenced until the controller renews its lease.
   */
  public void leasePolicy(LeasePolicy policy) {
    leaseKeeper.policy(policy);
  }

  /** Distinct goals refused by the goal validator since start (pgferry_goals_refused_total). */
  public long goalsRefused() {
    return goalGate.refusedCount();
  }

  public long transitionFailures() {
    return converger.failures();
  }

  public SlotGuard slotGuard() {
    return slotGuard;
  }

  public SnapshotHolder snapshotHolder() {
    return snapshotHolder;
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
    return r.converged() && NodeTraits.of(r.state()).pgRuns();
  }

  @Override
  public void close() {
    snapshotHolder.close();
    slotGuard.close();
    leaseKeeper.close();
    observer.close();
    converger.close();
  }

  /** For Status: the role the controller's certificate logins map to here (empty while there is no cluster). */
  private static Optional<String> bootstrapSuperuser(Path dataDir) {
    try {
      return BootstrapSuperuser.read(dataDir);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
