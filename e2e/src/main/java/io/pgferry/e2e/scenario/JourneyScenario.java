package io.pgferry.e2e.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The whole journey on one machine, shared by ./demo, the end-to-end tests and the bench: a "Heroku" source
 * archiving with wal-push plus a base backup with backup-push, agents a and b on empty data dirs, the app (the
 * ledger) writing through PgBouncer or a Heroku app the whole time, and `pgferry apply` run through the controller.
 * It collects phase durations, the write downtime of each cutover, the ledger's verdict on the final database and
 * the topology afterwards ({@link JourneyResult}). Stages run in order ({@link Stage}); a failure names its stage.
 *
 * <p>Later phases (LOGICAL_SETUP .. CUTOVER_2, FAILOVER) run inside the JOURNEY stage as the controller reaches
 * them; events during them (e.g. killing a) are added with {@link #addHook}.
 *
 * <p>The parts: {@link ScenarioEnvironment} (clusters, app path, ledger, controller, agents), {@link ScenarioPlan}
 * (plan.yaml), {@link ScenarioFaults} and {@link SchemaDrift} (hooks), {@link ScenarioOutcome} (timings, journal),
 * {@link ScenarioVerification} (the ledger and T against the source).
 */
public final class JourneyScenario implements AutoCloseable {
  public static final String LEDGER_TABLE = "ledger";
  public static final String WORKER_TABLE = "worker_ledger";
  /** Heroku ships a segment at least every 60 s: cutover 1 must not wait for it (SegmentCloser). */
  public static final Duration HEROKU_ARCHIVE_TIMEOUT = Duration.ofSeconds(60);

  /**
   * What to run. {@code logical}: the journey goes on through logical replication to T and cutover 2 (the source
   * then also holds the seed's app schema); {@code failover}: A (agent and postmaster) is killed with -9 once
   * LOGICAL_SYNC's wait starts, and the controller fails over to B.
   */
  public record Options(int pgMajor, SwitchKind switchKind, boolean workerDyno, Set<CrashPoint> crashes,
                        Duration archiveTimeout, int writers, Duration journeyTimeout, boolean logical, boolean failover,
                        boolean superuserSource, int controllers, Duration controllerDown, boolean spare) {
    public static Options defaults() {
      return new Options(15, SwitchKind.PGBOUNCER, false, EnumSet.noneOf(CrashPoint.class), HEROKU_ARCHIVE_TIMEOUT, 2,
          Duration.ofMinutes(4), false, false, false, 1, Duration.ZERO, false);
    }

    /**
     * {@code count} controllers on a real 3-member etcd cluster ({@code store: etcd}, docs/ha.md) instead of one on
     * the embedded store; a {@link CrashPoint} then kills the leader, and a follower continues.
     */
    public Options controllersOnEtcd(int count) {
      return new Options(pgMajor, switchKind, workerDyno, crashes, archiveTimeout, writers, journeyTimeout, logical, failover,
          superuserSource, count, controllerDown, spare);
    }

    public boolean etcd() {
      return controllers > 1;
    }

    /** The whole journey: logical replication, a failover during LOGICAL_SYNC, cutover 2. */
    public static Options wholeJourney() {
      return defaults().throughCutover2().killAInLogicalSync(true);
    }

    /**
     * pgferry's source.url as the superuser instead of the app's role: pg_switch_wal() then closes the last segment
     * at cutover 1 (the baseline of the Heroku-like source's segment fill).
     */
    public Options asSuperuser() {
      return new Options(pgMajor, switchKind, workerDyno, crashes, archiveTimeout, writers, journeyTimeout, logical, failover,
          true, controllers, controllerDown, spare);
    }

    public Options pg(int major) {
      return new Options(major, switchKind, workerDyno, crashes, archiveTimeout, writers, journeyTimeout, logical, failover, superuserSource, controllers, controllerDown, spare);
    }

    public Options heroku(boolean withWorkerDyno) {
      return new Options(pgMajor, SwitchKind.HEROKU, withWorkerDyno, crashes, archiveTimeout, writers, journeyTimeout, logical,
          failover, superuserSource, controllers, controllerDown, spare);
    }

    /**
     * A warm spare beside the embedded store's controller ({@code pgferry controller run --spare}, docs/ha.md "A warm
     * spare"): a {@link CrashPoint}'s kill -9 ends the controller, the spare takes over, and the restart 
     * {@link #controllerDownFor} later starts the next spare.
     */
    public Options withSpareController() {
      return new Options(pgMajor, switchKind, workerDyno, crashes, archiveTimeout, writers, journeyTimeout, logical, failover,
          superuserSource, controllers, controllerDown, true);
    }

    /** How long each controller kill of {@link #crashControllerAt} keeps it down before the restart (default: none). */
    public Options controllerDownFor(Duration down) {
      return new Options(pgMajor, switchKind, workerDyno, crashes, archiveTimeout, writers, journeyTimeout, logical, failover,
          superuserSource, controllers, down, spare);
    }

    public Options crashControllerAt(CrashPoint... points) {
      Set<CrashPoint> s = EnumSet.noneOf(CrashPoint.class);
      s.addAll(List.of(points));
      return new Options(pgMajor, switchKind, workerDyno, s, archiveTimeout, writers, journeyTimeout, logical, failover, superuserSource, controllers, controllerDown, spare);
    }

    /** On through LOGICAL_SETUP, LOGICAL_SYNC and CUTOVER_2 (FINISHED), with more time for the journey. */
    public Options throughCutover2() {
      Duration timeout = journeyTimeout.compareTo(Duration.ofMinutes(8)) < 0 ? Duration.ofMinutes(8) : journeyTimeout;
      return new Options(pgMajor, switchKind, workerDyno, crashes, archiveTimeout, writers, timeout, true, failover, superuserSource, controllers, controllerDown, spare);
    }

    /** Kill A during LOGICAL_SYNC (implies {@link #throughCutover2}) or not. */
    public Options killAInLogicalSync(boolean kill) {
      Options o = kill ? throughCutover2() : this;
      return new Options(o.pgMajor, o.switchKind, o.workerDyno, o.crashes, o.archiveTimeout, o.writers, o.journeyTimeout, o.logical,
          kill, o.superuserSource, o.controllers, o.controllerDown, o.spare);
    }
  }

  private final Options options;
  private final Consumer<String> say;
  private final List<JourneyHook> extraHooks = new ArrayList<>();
  private final List<Consumer<PlanBuilder>> planChanges = new ArrayList<>();
  private final List<JourneyHook.Action> beforeApply = new ArrayList<>();
  /** What the scenario said (the demo's output), searched for secrets with the rest of the run's output. */
  private final List<String> transcript = Collections.synchronizedList(new ArrayList<>());
  private final List<JourneyHook> firstHooks = new ArrayList<>();
  private final JourneyResult result = new JourneyResult();
  private final ScenarioEnvironment env;
  private final ScenarioOutcome outcome = new ScenarioOutcome(result);
  private final ScenarioFaults faults;
  private final ScenarioVerification verification;

  private JourneyDriver driver;
  private Stage stage;
  private HoldHandler holdHandler;

  /**
   * What a test does when the journey holds before a cutover: checks, then lets it go with {@link #proceed}. Called
   * again while the journey still holds (e.g. a proceed --at not yet due is waited out by the scenario).
   */
  @FunctionalInterface
  public interface HoldHandler {
    void held(JsonNode status) throws Exception;
  }

  public JourneyScenario(Workspace ws, Options options, Consumer<String> say) {
    this.options = options;
    this.say = line -> {
      transcript.add(line);
      say.accept(line);
    };
    this.env = new ScenarioEnvironment(ws, options, this.say);
    this.faults = new ScenarioFaults(env::rig, () -> driver, result.controllerCrashes, result.leaderChanges, this.say, env::target,
        result);
    this.verification = new ScenarioVerification(env, outcome, result, this.say);
    result.pgMajor = options.pgMajor();
    result.logical = options.logical();
    result.failoverExpected = options.failover();
    result.switchKind = options.switchKind();
    result.workDir = ws.root();
    result.controllers = options.controllers();
    result.logs = ws.root().resolve("logs");
  }

  /** An event to inject once a step starts (the failover stage kills a this way). */
  public JourneyScenario addHook(JourneyHook hook) {
    extraHooks.add(hook);
    return this;
  }

  /** A change to the scenario's plan, applied after the scenario's own settings. */
  public JourneyScenario changePlan(Consumer<PlanBuilder> change) {
    planChanges.add(change);
    return this;
  }

  /** Work done once the clusters, the controller and the app run, right before `pgferry apply`. */
  public JourneyScenario beforeApply(JourneyHook.Action action) {
    beforeApply.add(action);
    return this;
  }

  /** The libpq connection string of the app's path (PgBouncer's alias, as the app's role). */
  public String appDsn() {
    if (!(env.app() instanceof PgBouncerPath path)) {
      throw new IllegalStateException("the app reaches the database through " + env.app().describe() + ", not PgBouncer");
    }
    return "host=" + path.bouncer().host() + " port=" + path.bouncer().port() + " dbname=" + SourceDatabase.APP_DB
        + " user=" + SourceDatabase.APP_USER + " password=" + SourceDatabase.APP_PASSWORD;
  }

  /** The target T (a real cluster); the source's cluster is {@link #source()}. */
  public PgCluster target() {
    return env.target();
  }

  public PgCluster source() {
    return env.source().cluster();
  }

  /**
   * Applies with holds (as an operator would, without --no-hold) and hands each hold to {@code handler}. Without it
   * the scenario applies with --no-hold, as ./demo does.
   */
  public JourneyScenario onHold(HoldHandler handler) {
    this.holdHandler = handler;
    return this;
  }

  /** `pgferry proceed [--at TIME]` (for a {@link HoldHandler}). */
  public void proceed(String at) {
    driver.proceed(at);
  }

  /** Rows the app has written (acknowledged) so far. */
  public long acknowledgedSoFar() {
    return env.ledger().acknowledged();
  }

  /**
   * As {@link #addHook}, fired before the scenario's own hooks on the same step (e.g. a fault while LOGICAL_SYNC still
   * waits for the schema drift the scenario resolves).
   */
  public JourneyScenario addHookFirst(JourneyHook hook) {
    firstHooks.add(hook);
    return this;
  }

  /** Runs every stage; throws {@link ScenarioFailure} naming the stage that failed. */
  public JourneyResult run() {
    stage(Stage.CLUSTERS, env::startClusters);
    stage(Stage.BACKUP, env::backup);
    stage(Stage.CONTROL, this::startControl);
    stage(Stage.APP, env::startApp);
    stage(Stage.JOURNEY, this::journey);
    stage(Stage.VERIFY, this::verify);
    return result;
  }

  /** What was measured so far (also after a failure). */
  public JourneyResult result() {
    return result;
  }

  public Rig rig() {
    return env.rig();
  }

  public Stage currentStage() {
    return stage;
  }

  @FunctionalInterface
  private interface Work {
    void run() throws Exception;
  }

  private void stage(Stage s, Work work) {
    stage = s;
    long t0 = System.nanoTime();
    say.accept(s.name().toLowerCase() + ": " + s.what());
    try {
      work.run();
    } catch (ScenarioFailure f) {
      throw f;
    } catch (Exception e) {
      throw new ScenarioFailure(s.name(), e.getMessage() == null ? e.toString() : e.getMessage(), logFor(s), e);
    }
    say.accept(String.format("  (%.1f s)", (System.nanoTime() - t0) / 1e9));
  }

  private Path logFor(Stage s) {
    return switch (s) {
      case CLUSTERS, BACKUP -> env.source() == null ? result.logs : env.source().logFile();
      case APP -> env.app() == null || env.app().log() == null ? result.logs : env.app().log();
      case CONTROL, JOURNEY -> result.logs.resolve("controller.log");
      case VERIFY -> result.logs;
    };
  }

  private void startControl() throws Exception {
    env.startControl();
    result.controllerUrl = env.rig().controllerUrl();
    driver = new JourneyDriver(env.rig(), say);
  }

  private void journey() throws Exception {
    Path plan = ScenarioPlan.write(env, options, planChanges);
    for (JourneyHook.Action action : beforeApply) {
      action.run();
    }
    List<JourneyHook> hooks = new ArrayList<>(firstHooks);
    for (CrashPoint p : options.crashes()) {
      hooks.add(faults.crashControllerAt(p, options.controllerDown()));
    }
    if (options.logical()) {
      hooks.addAll(new SchemaDrift(env, faults, say).hooks(options.failover()));
    }
    hooks.addAll(extraHooks);
    HoldHandler onHold = holdHandler != null ? holdHandler : options.failover() ? this::proceedOnceFailedOver : null;
    say.accept("  pgferry apply --plan " + plan + (onHold == null ? " --no-hold" : ""));
    driver.apply(plan, onHold != null);
    JsonNode end = driver.followUntilStopped(options.journeyTimeout(), hooks);
    while (onHold != null && "HELD".equals(end.path("state").asText())) {
      onHold.held(end);
      driver.awaitNoLongerHeld(end.path("phase").asText(), options.journeyTimeout());
      end = driver.followUntilStopped(options.journeyTimeout(), hooks);
    }
    outcome.recordEnd(end, driver.journal().read(), env.app().changes());
    boolean reached = options.logical() ? "FINISHED".equals(result.journeyState) && result.phaseDone("CUTOVER_2")
        : result.phaseDone("CUTOVER_1");
    if (!reached) {
      String phase = end.path("phase").asText("?");
      throw new ScenarioFailure(Stage.JOURNEY.name() + " " + phase, "the journey stopped (" + result.journeyState + "): "
          + result.journeyMessage, result.logs.resolve("controller.log"), null);
    }
    outcome.recordTimes(env.ledger(), faults.aKilledAt());
    for (JourneyResult.LeaderChange change : result.leaderChanges) {
      change.writeGap = maxCommitGap(change.faultNanos, change.faultNanos);
    }
    if (env.rig().etcd() != null) {
      env.rig().leading();
      result.leaderChangesSeen = env.rig().leaderChanges();
    }
  }

  /**
   * The failover run's hold before cutover 2 (plan hold: [cutover_2]): T was in sync before a died, and the journey
   * waits there (the failover monitor acts on a held engine) until the failover is over and T is in sync from b again;
   * then `pgferry proceed`. Before that, nothing: the failover ends the hold.
   */
  private void proceedOnceFailedOver(JsonNode status) {
    if (driver.journal().read().stream().anyMatch(e -> e.is("PHASE_DONE", "FAILOVER"))) {
      say.accept("  pgferry proceed  (the failover is over, T is in sync from b)");
      driver.proceed(null);
    } else {
      say.accept("  held before cutover 2 while a is down: the failover takes over");
    }
  }

  /**
   * A hook that crashes node {@code id} (kill -9 of its agent and its postmaster) once {@code step} starts, e.g. A
   * during LOGICAL_SYNC for the failover stage.
   */
  public JourneyHook killNodeWhen(String id, String step) {
    return faults.killNodeWhen(id, step);
  }

  /**
   * Controllers on etcd: a hook that partitions the leader from etcd once {@code step} starts, and heals the partition
   * once another controller took over (see {@link JourneyResult.LeaderChange}).
   */
  public JourneyHook partitionLeaderWhen(String step) {
    return faults.partitionLeaderWhen(step);
  }

  /**
   * A hook that loses node {@code id} once {@code step} starts: kill -9 of its agent and postmaster, its data dir
   * damaged (global/pg_control and base/ deleted: PostgreSQL cannot start from it), then its agent started again, as
   * systemd would.
   */
  public JourneyHook loseNodeWhen(String id, String step) {
    return faults.loseNodeWhen(id, step);
  }

  private void verify() throws Exception {
    if (options.logical()) {
      verification.afterCutover2();
    } else {
      verification.afterCutover1();
    }
    result.journal = driver.journal().read();
    checkForSecretLeaks();
  }

  /** Every output of the run (logs, journal, API answers, report.html, the transcript) searched for each secret. */
  private void checkForSecretLeaks() throws Exception {
    Path out = result.logs.resolve("outputs");
    SecretLeaks.saveAnswers(env.rig().api(), out);
    synchronized (transcript) {
      Files.write(out.resolve("transcript.txt"), transcript);
    }
    List<Path> roots = new ArrayList<>(List.of(result.logs, env.rig().controllerStateDir()));
    for (int i = 2; i <= options.controllers(); i++) {
      roots.add(result.workDir.resolve("controller-" + i + "-state"));
    }
    for (String id : List.of("a", "b")) {
      roots.add(result.workDir.resolve("agent-" + id + "-state"));
    }
    result.secretLeaks = SecretLeaks.find(env.secrets(), roots);
    say.accept("  secrets: " + env.secrets().size() + " searched for in " + roots.size() + " output dirs: "
        + (result.secretLeaks.isEmpty() ? "none found" : result.secretLeaks.size() + " leak(s)"));
  }

  /**
   * The app's longest write gap touching [fromNanos, toNanos] (System.nanoTime, as {@code Ledger.now()}): what a
   * fault injected by a hook cost the primary's writers.
   */
  public Duration maxCommitGap(long fromNanos, long toNanos) {
    return outcome.timings(env.ledger()).gapBetween(fromNanos, toNanos);
  }

  /** Everything left running, for ./demo --keep (and --clean later). */
  public Kept kept() {
    return env.kept();
  }

  @Override
  public void close() {
    env.close();
  }
}
