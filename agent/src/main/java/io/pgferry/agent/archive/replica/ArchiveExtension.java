package io.pgferry.agent.archive.replica;

import io.pgferry.agent.NodeAgent;
import io.pgferry.agent.archive.backup.BackupFetch;
import io.pgferry.archive.format.BackupCatalog;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.S3Options;
import io.pgferry.agent.archive.wal.ArchiveHead;
import io.pgferry.agent.archive.wal.SegmentGate;
import io.pgferry.agent.archive.wal.WalFetchEndpoint;
import io.pgferry.agent.archive.wal.WalPrefetcher;
import io.pgferry.agent.cluster.BaseBackupProvider;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.config.DataDir;
import io.pgferry.agent.converge.NodeContext;
import io.pgferry.agent.converge.Rebuild;
import io.pgferry.agent.converge.Step;
import io.pgferry.agent.converge.Transition;
import io.pgferry.agent.converge.Transitions;
import io.pgferry.agent.fence.Fence;
import io.pgferry.agent.recovery.RecoveryConfig;
import io.pgferry.agent.state.TransitionTable;
import io.pgferry.common.Command;
import io.pgferry.proto.ArchiveStatus;
import io.pgferry.proto.BaseBackupMethod;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * What the archive engine adds to the agent: the ARCHIVE_REPLICA transition (empty host -> backup-fetch LATEST ->
 * config for this host -> recovery config with restore_command = wal-fetch through this agent -> start), the ARCHIVE
 * base-backup method for STREAMING_STANDBY, the loopback wal-fetch endpoint with its prefetch window, and the
 * archive lag (Status.archive and /metrics).
 */
public final class ArchiveExtension implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ArchiveExtension.class.getName());
  /** How long a StatusNow waits for the archive's answer about the next segment. */
  private static final Duration LOOK_AHEAD_WAIT = Duration.ofMillis(500);
  /** PostgreSQL asked for nothing this long: it sleeps after a miss (it asks again at once after a delivery). */
  private static final Duration RECOVERY_QUIET = Duration.ofMillis(150);
  private final AgentConfig config;
  private final Map<String, ObjectStore> stores = new ConcurrentHashMap<>();
  private final ScheduledExecutorService headPoller;
  private volatile WalPrefetcher prefetcher;
  private volatile String prefetchUrl;
  private volatile ArchiveHead.Lag lag;
  private volatile SegmentGate gate = SegmentGate.OPEN;
  private Counter fetchedBytes;
  private Counter recoveryWakeups;

  public ArchiveExtension(AgentConfig config) {
    this.config = config;
    this.headPoller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "archive-head");
      t.setDaemon(true);
      return t;
    });
    headPoller.scheduleWithFixedDelay(this::pollHead, 5, 10, TimeUnit.SECONDS);
  }

  /**
   * The transition table of an agent with the archive engine: its rows first, then {@link Transitions#defaultTable}'s.
   * The one builder of it: the daemon's (RunCommand, through {@link NodeAgent.Options#withExtensions}), `pgferry-agent
   * fsm`'s and the controller's GoalContractTest's. {@code engine} null: the table only described (no row runs).
   */
  public static TransitionTable<Transition.Factory> table(ArchiveExtension engine) {
    return Transitions.defaultTable(List.of(archiveReplicaRow(engine == null ? null : engine::archiveReplica)));
  }

  private static TransitionTable.Row<Transition.Factory> archiveReplicaRow(Transition.Factory transition) {
    return new TransitionTable.Row<>(
        EnumSet.of(NodeState.EMPTY, NodeState.STOPPED, NodeState.ARCHIVE_REPLICA, NodeState.NODE_STATE_UNSPECIFIED),
        NodeState.ARCHIVE_REPLICA,
        "with goal.rebuild: discard a broken or diverged data dir -> backup-fetch LATEST (unless the data dir holds a"
            + " cluster) -> config for this host -> recovery config with restore_command = wal-fetch -> start",
        transition);
  }

  private Transition archiveReplica(Goal goal, NodeContext ctx) {
    return Transition.of("archive replica of " + archiveUrl(goal), List.of(
        Step.of("rebuild check", c -> Rebuild.discardIfDiverged(c, goal)),
        Step.of("backup-fetch LATEST", c -> fetch(c, goal)),
        Step.of("server config", c -> serverConfig(c, goal)),
        Step.of("recovery config", c -> recoveryConfig(c, goal)),
        Step.of("start", ArchiveExtension::start)));
  }

  public List<BaseBackupProvider> providers() {
    return List.of(new BaseBackupProvider() {
      @Override
      public BaseBackupMethod method() {
        return BaseBackupMethod.ARCHIVE;
      }

      @Override
      public boolean supports(Goal goal, int upstreamMajor) {
        return !archiveUrl(goal).isEmpty();
      }

      @Override
      public String describe(Goal goal) {
        return "backup-fetch LATEST from " + archiveUrl(goal);
      }

      @Override
      public void fetchInto(Path target, Goal goal) throws Exception {
        ensurePrefetcher(archiveUrl(goal)); // the standby's restore_command asks this agent
        new BackupFetch(store(archiveUrl(goal)), 4, (d, t, m) -> { }, config.postgres().osUser()).fetch(target, BackupCatalog.LATEST, Map.of());
        ServerConfig.writeIfAbsent(target, settings(null));
        chownConfig(target);
      }
    });
  }

  /**
   * Hooks into a built agent: Status.archive, and restore_command for standbys (so one built with the ARCHIVE
   * method reaches consistency, and any standby can fall back to the archive when its upstream lost the WAL).
   */
  public void attach(NodeAgent agent) {
    agent.addStatusContributor(b -> status().ifPresent(b::setArchive));
    agent.beforeObservingNow(() -> wakeRecoveryIfNextSegmentArrived(agent));
    agent.context().restoreCommand(goal -> archiveUrl(goal).isEmpty() ? null : restoreCommand(goal));
    gate = new UpstreamWalGate(agent.converger()::goal, UpstreamWalGate.identifySystem(config.postgres().passwordFile(),
        config.postgres().replicationUser(), agent.context().upstreamTls()));
    WalPrefetcher p = prefetcher;
    if (p != null) {
      p.gate(gate);
    }
    resumePrefetch(agent.converger().goal());
  }

  /**
   * The controller waits on this archive replica (StatusNow: cutover 1 waits for it to replay the source's last
   * segment): the segment recovery needs next is looked for now, and once the archive has it PostgreSQL is woken
   * (SIGHUP wakes the startup process out of its wal_retrieve_retry_interval sleep) instead of finding it at its next
   * retry, up to a second later. Only while the controller asks, so a quiet archive is not polled any faster.
   */
  private void wakeRecoveryIfNextSegmentArrived(NodeAgent agent) {
    WalPrefetcher p = prefetcher;
    Goal goal = agent.converger().goal();
    if (p == null || goal == null || goal.getState() != NodeState.ARCHIVE_REPLICA || !agent.record().converged()
        || !agent.context().pgCtl().isRunning()) {
      return;
    }
    try {
      if (p.nextReadyWhileRecoveryWaits(LOOK_AHEAD_WAIT, RECOVERY_QUIET)) {
        agent.context().pgCtl().reload();
        if (recoveryWakeups != null) {
          recoveryWakeups.increment();
        }
        LOG.fine("woke recovery: the segment after " + p.lastRestored().orElse("?") + " is in the archive");
      }
    } catch (IOException | RuntimeException e) {
      LOG.fine("look-ahead for the next segment: " + e);
    }
  }

  /**
   * An agent restarted on a node already converged runs no transition, and the prefetcher is otherwise made by one:
   * without this, restore_command would fall back to direct fetches and Status.archive would stay empty (the
   * controller could not tell the replica's lag, so the journey would wait for it in vain).
   */
  private void resumePrefetch(Goal goal) {
    if (goal == null || archiveUrl(goal).isEmpty()
        || (goal.getState() != NodeState.ARCHIVE_REPLICA && goal.getState() != NodeState.STREAMING_STANDBY)) {
      return;
    }
    try {
      ensurePrefetcher(archiveUrl(goal));
      prefetcher.resumeFrom(newestSegment(config.postgres().dataDir()).orElse(null));
    } catch (IOException | RuntimeException e) {
      LOG.warning("archive prefetch not resumed (restore_command fetches directly): " + e.getMessage());
    }
  }

  /**
   * Starts POST /wal-fetch on its own server bound to 127.0.0.1 whatever http.host is (restore_command runs on
   * this host; the endpoint writes files into the data dir, so it is never reachable from the network), and
   * publishes its port in state_dir/wal-fetch.port for the clients (bin/pgferry-agent's curl path, wal-fetch).
   */
  public Future<HttpServer> startWalFetchEndpoint(Vertx vertx) {
    return WalFetchEndpoint.start(vertx, 0, () -> prefetcher, config.stateDir(), config.postgres().osUser());
  }

  public void registerMetrics(MeterRegistry registry) {
    Gauge.builder("pgferry_archive_lag_segments", this, x -> x.lag == null ? -1 : x.lag.segments())
        .description("segments archived but not yet restored by this archive replica").register(registry);
    Gauge.builder("pgferry_archive_lag_seconds", this, x -> x.lag == null ? -1 : x.lag.seconds())
        .description("archive time between the last restored segment and the archive head").register(registry);
    fetchedBytes = Counter.builder("pgferry_backup_fetch_bytes_total").description("bytes downloaded by backup-fetch").register(registry);
    recoveryWakeups = Counter.builder("pgferry_archive_recovery_wakeups_total")
        .description("times recovery was woken because the segment it waits for reached the archive while the controller waited").register(registry);
  }

  public Optional<ArchiveStatus> status() {
    WalPrefetcher p = prefetcher;
    if (p == null) {
      return Optional.empty();
    }
    ArchiveStatus.Builder b = ArchiveStatus.newBuilder().setLagSegments(-1).setLagSeconds(-1);
    p.lastRestored().ifPresent(b::setLastRestoredSegment);
    ArchiveHead.Lag l = lag;
    if (l != null) {
      b.setArchiveHeadSegment(l.head()).setLagSegments(l.segments()).setLagSeconds(l.seconds());
    }
    return Optional.of(b.build());
  }

  WalPrefetcher prefetcher() {
    return prefetcher;
  }

  String archiveUrl(Goal goal) {
    if (goal != null && !goal.getArchiveUrl().isEmpty()) {
      return goal.getArchiveUrl();
    }
    return config.archive().url() == null ? "" : config.archive().url();
  }

  ObjectStore store(String url) {
    if (url.isEmpty()) {
      throw new IllegalStateException("no archive: set the goal's archive_url or archive.url in agent.yaml");
    }
    var s3 = config.archive().s3();
    S3Options options = s3 == null ? S3Options.DEFAULTS : S3Options.of(s3.endpoint(), s3.region(), s3.pathStyle());
    return stores.computeIfAbsent(url, u -> ArchiveLocation.parse(u, options.withEnvironment(System.getenv())).open());
  }

  String restoreCommand(Goal goal) {
    return AgentLauncher.restoreCommand(AgentLauncher.command(), archiveUrl(goal), config.stateDir());
  }

  private synchronized void ensurePrefetcher(String url) throws IOException {
    if (prefetcher != null && url.equals(prefetchUrl)) {
      return;
    }
    if (prefetcher != null) {
      prefetcher.close();
    }
    int window = config.archive().prefetch() == null ? 8 : config.archive().prefetch();
    prefetcher = new WalPrefetcher(store(url), config.stateDir().resolve("prefetch"), window, config.postgres().osUser(),
        config.postgres().dataDir());
    prefetcher.gate(gate);
    prefetchUrl = url;
  }

  private boolean fetch(NodeContext ctx, Goal goal) throws Exception {
    String url = archiveUrl(goal);
    ensurePrefetcher(url);
    Path dataDir = ctx.dataDir();
    if (DataDir.holdsCluster(dataDir)) {
      return false;
    }
    if (!DataDir.isMissingOrEmpty(dataDir)) {
      throw new IllegalStateException("data dir " + dataDir + " is not empty and holds no PostgreSQL cluster; empty it");
    }
    Path temp = dataDir.resolveSibling("." + dataDir.getFileName() + ".pgferry-backup-fetch");
    deleteTree(temp);
    ctx.progress("backup-fetch LATEST from " + url);
    try {
      long[] counted = {0};
      new BackupFetch(store(url), 4, (done, total, msg) -> {
        ctx.progress(msg + ": " + (total > 0 ? done * 100 / total : 0) + "%");
        synchronized (counted) {
          if (fetchedBytes != null && done > counted[0]) {
            fetchedBytes.increment(done - counted[0]);
            counted[0] = done;
          }
        }
      }, config.postgres().osUser()).fetch(temp, BackupCatalog.LATEST, Map.of());
    } catch (Exception e) {
      deleteTree(temp);
      throw e;
    }
    if (Files.isDirectory(dataDir)) {
      Files.delete(dataDir);
    }
    Files.move(temp, dataDir, StandardCopyOption.ATOMIC_MOVE);
    return true;
  }

  private boolean serverConfig(NodeContext ctx, Goal goal) throws IOException {
    Map<String, String> s = settings(goal);
    boolean wrote = ServerConfig.writeIfAbsent(ctx.dataDir(), s);
    if (wrote) {
      LOG.info("no postgresql.conf in the backup: chose " + s);
      chownConfig(ctx.dataDir());
    }
    return wrote;
  }

  private Map<String, String> settings(Goal goal) {
    var pg = config.postgres();
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("unix_socket_directories", ServerConfig.quote(pg.socketDir().toString()));
    pg.settings().forEach(overrides::put);
    if (goal != null) {
      overrides.putAll(goal.getSettingsMap());
    }
    return ServerConfig.choose(ArchiveReplicaBuilder.physicalMemory(), Runtime.getRuntime().availableProcessors(), pg.port(),
        pg.listenAddresses(), overrides);
  }

  private boolean recoveryConfig(NodeContext ctx, Goal goal) throws Exception {
    int major = DataDir.majorVersion(ctx.dataDir());
    Map<String, String> managed = ctx.managedSettings(goal);
    managed.put("hot_standby", "on");
    managed.put("wal_level", "logical");
    // after a miss PostgreSQL asks the archive again only this much later (default 5 s): at cutover 1 the source's
    // last segment must be replayed while writes are blocked, so ask every second (a miss costs one curl + lookup);
    // while the controller waits, the agent wakes it as soon as the segment is there (wakeRecoveryIfNextSegmentArrived)
    managed.putIfAbsent("wal_retrieve_retry_interval", "1s");
    boolean changed = ctx.recoveryConfig().apply(major, managed, Optional.of(new RecoveryConfig.Standby("", null, restoreCommand(goal))));
    changed |= ctx.recoveryConfig().applyHba(goal.getHbaRulesList());
    chownConfig(ctx.dataDir());
    if (changed && ctx.pgCtl().isRunning()) {
      ctx.stateFile().update(r -> r.withRestartRequired(true));
    }
    return changed;
  }

  private static boolean start(NodeContext ctx) {
    if (!Fence.mayStart(ctx.stateFile().get())) {
      throw new IllegalStateException("fenced: PostgreSQL stays stopped until a new goal arrives");
    }
    boolean running = ctx.pgCtl().isRunning();
    boolean restart = ctx.stateFile().get().restartRequired();
    if (running && !restart) {
      return false;
    }
    ctx.progress(running ? "restarting PostgreSQL (configuration changed)" : "starting PostgreSQL");
    if (running) {
      ctx.pgCtl().restart();
    } else {
      ctx.pgCtl().start();
    }
    ctx.stateFile().update(r -> r.withRestartRequired(false));
    return true;
  }

  private void chownConfig(Path dataDir) {
    String user = config.postgres().osUser();
    if (user == null || !Command.runningAsRoot() || user.equals("root")) {
      return;
    }
    for (String f : List.of("postgresql.conf", "pg_hba.conf", "pg_ident.conf", "recovery.conf", RecoveryConfig.MANAGED_FILE, "standby.signal")) {
      Path p = dataDir.resolve(f);
      if (Files.exists(p)) {
        Command.of("chown", user + ":" + user, p.toString()).run();
      }
    }
  }

  private void pollHead() {
    try {
      WalPrefetcher p = prefetcher;
      String url = prefetchUrl;
      if (p == null || p.lastRestored().isEmpty()) {
        return;
      }
      lag = ArchiveHead.measure(store(url), p.lastRestored().get(), WalNames.DEFAULT_SEGMENT_SIZE).orElse(null);
    } catch (Exception e) {
      LOG.fine("archive head: " + e);
    }
  }

  /** The newest WAL segment file in the data dir's pg_wal (restored segments are kept there under their names). */
  static Optional<String> newestSegment(Path dataDir) throws IOException {
    Path wal = dataDir.resolve("pg_wal");
    if (!Files.isDirectory(wal)) {
      wal = dataDir.resolve("pg_xlog");
    }
    if (!Files.isDirectory(wal)) {
      return Optional.empty();
    }
    try (var s = Files.list(wal)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}")).max(String::compareTo);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Override
  public void close() {
    headPoller.shutdownNow();
    if (prefetcher != null) {
      prefetcher.close();
    }
    stores.values().forEach(ObjectStore::close);
  }
}
