package io.pgferry.e2e.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.Await;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.rig.ManagedProcess;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 */
public final class JourneyScenario implements AutoCloseable {
  public static final String LEDGER_TABLE = "ledger";
  public static final String WORKER_TABLE = "worker_ledger";

  /** What to run. */
  public record Options(int pgMajor, SwitchKind switchKind, boolean workerDyno, Set<CrashPoint> crashes,
                        Duration archiveTimeout, int writers, Duration journeyTimeout) {
    public static Options defaults() {
      return new Options(15, SwitchKind.PGBOUNCER, false, EnumSet.noneOf(CrashPoint.class), Duration.ofSeconds(5), 2,
          Duration.ofMinutes(4));
    }

    public Options pg(int major) {
      return new Options(major, switchKind, workerDyno, crashes, archiveTimeout, writers, journeyTimeout);
    }

    public Options heroku(boolean withWorkerDyno) {
      return new Options(pgMajor, SwitchKind.HEROKU, withWorkerDyno, crashes, archiveTimeout, writers, journeyTimeout);
    }

    public Options crashControllerAt(CrashPoint... points) {
      Set<CrashPoint> s = EnumSet.noneOf(CrashPoint.class);
      s.addAll(List.of(points));
      return new Options(pgMajor, switchKind, workerDyno, s, archiveTimeout, writers, journeyTimeout);
    }
  }

  private final Workspace ws;
  private final Options options;
  private final Consumer<String> say;
  private final PgBinaries binaries;
  private final String archiveUrl;
  private final List<JourneyHook> extraHooks = new ArrayList<>();
  private final JourneyResult result = new JourneyResult();
  private final Instant wallAtStart = Instant.now();
  private final long nanosAtStart = System.nanoTime();

  private SourceDatabase source;
  private PgCluster target;
  private AppPath app;
  private Ledger ledger;
  private Ledger worker;
  private Rig rig;
  private JourneyDriver driver;
  private Stage stage;

  public JourneyScenario(Workspace ws, Options options, Consumer<String> say) {
    this.ws = ws;
    this.options = options;
    this.say = say;
    this.binaries = PgBinaries.forMajor(options.pgMajor());
    this.archiveUrl = "file://" + ws.dir("archive");
    result.pgMajor = options.pgMajor();
    result.switchKind = options.switchKind();
    result.workDir = ws.root();
    result.logs = ws.root().resolve("logs");
  }

  /** An event to inject once a step starts (the failover stage kills a this way). */
  public JourneyScenario addHook(JourneyHook hook) {
    extraHooks.add(hook);
    return this;
  }

  /** Runs every stage; throws {@link ScenarioFailure} naming the stage that failed. */
  public JourneyResult run() {
    stage(Stage.CLUSTERS, this::startClusters);
    stage(Stage.BACKUP, this::backup);
    stage(Stage.CONTROL, this::startControl);
    stage(Stage.APP, this::startApp);
    stage(Stage.JOURNEY, this::journey);
    stage(Stage.VERIFY, this::verify);
    return result;
  }

  /** What was measured so far (also after a failure). */
  public JourneyResult result() {
    return result;
  }

  public Rig rig() {
    return rig;
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
      case CLUSTERS, BACKUP -> source == null ? result.logs : source.logFile();
      case APP -> app == null || app.log() == null ? result.logs : app.log();
      case CONTROL, JOURNEY -> result.logs.resolve("controller.log");
      case VERIFY -> result.logs;
    };
  }

  private void startClusters() {
    List<String> tables = options.workerDyno() ? List.of(LEDGER_TABLE, WORKER_TABLE) : List.of(LEDGER_TABLE);
    source = SourceDatabase.start(ws, binaries, archiveUrl, options.archiveTimeout(), tables);
    say.accept("  source: PostgreSQL " + binaries.version() + " on :" + source.cluster().port() + ", archive_command"
        + " = pgferry-agent wal-push, archive_timeout " + options.archiveTimeout().toSeconds() + " s -> " + archiveUrl);
    target = PgCluster.init(ws, "target", PgBinaries.forMajor(15), Map.of()).start();
  }

  private void startApp() {
    app = options.switchKind() == SwitchKind.PGBOUNCER
        ? new PgBouncerPath(ws, source.cluster())
        : new HerokuPath(ws.root(), source.appUrl());
    ledger = Ledger.start(Ledger.Options.of(app.jdbcUrl()).as(SourceDatabase.APP_USER, SourceDatabase.APP_PASSWORD).writers(options.writers())
        .pause(Duration.ofMillis(5)).table(LEDGER_TABLE));
    app.onRestart(ledger::reconnectAll);
    if (options.workerDyno()) {
      String direct = source.cluster().jdbcUrl(SourceDatabase.APP_DB);
      worker = Ledger.start(Ledger.Options.of(() -> direct).as(SourceDatabase.APP_USER, SourceDatabase.APP_PASSWORD).writers(1)
          .pause(Duration.ofMillis(10)).table(WORKER_TABLE));
    }
    if (!ledger.awaitMore(20, Duration.ofSeconds(30))) {
      throw new IllegalStateException("the ledger does not write through " + app.describe() + ": "
          + ledger.failures().stream().reduce((a, b) -> b).map(Ledger.Failure::message).orElse("no error seen"));
    }
    say.accept("  app: the ledger (" + options.writers() + " writers) writes through " + app.describe()
        + (worker == null ? "" : "; a worker dyno writes straight to the source"));
  }

  private void backup() {
    String name = source.backupPush();
    say.accept("  backup-push: " + name);
  }

  private void startControl() throws Exception {
    Path pgpass = secret(ws.dir("secrets").resolve("pgpass"), "*:*:*:postgres:" + SourceDatabase.SUPERUSER_PASSWORD + "\n");
    rig = new Rig(ws, List.of("a", "b")).agentPasswordFile(pgpass).initCerts().startController();
    result.controllerUrl = rig.controllerUrl();
    driver = new JourneyDriver(rig, say);
    rig.startAgent("a", binaries, ws.root().resolve("a"), FreePorts.next(), archiveUrl);
    rig.startAgent("b", binaries, ws.root().resolve("b"), FreePorts.next(), archiveUrl);
    say.accept("  controller " + rig.controllerUrl() + "; agents a and b connected over mTLS (empty data dirs)");
  }

  private void journey() throws Exception {
    Path plan = writePlan();
    List<JourneyHook> hooks = new ArrayList<>();
    for (CrashPoint p : options.crashes()) {
      hooks.add(new JourneyHook("kill -9 the controller during " + p.step() + ", restart it, pgferry resume", p.step(),
          () -> crashAndResume(p)));
    }
    hooks.addAll(extraHooks);
    say.accept("  pgferry apply --plan " + plan);
    driver.apply(plan);
    JsonNode end = driver.followUntilStopped(options.journeyTimeout(), hooks);
    result.journeyState = end.path("state").asText();
    result.journeyMessage = end.path("message").asText();
    result.phases.clear();
    boolean waitingForAPhaseNotBuilt = "WAITING".equals(result.journeyState);
    for (JsonNode p : end.path("phases")) {
      String status = p.path("status").asText();
      if (waitingForAPhaseNotBuilt && "stopped".equals(status)) {
        status = "not_reached"; // the journey waits at a phase this build cannot run yet: nothing of it ran
      }
      result.phases.add(new JourneyResult.PhaseTime(p.path("name").asText(), status,
          p.path("seconds").isNumber() && !"not_reached".equals(status) ? p.path("seconds").asDouble() : null));
    }
    result.journal = driver.journal().read();
    result.appPathChanges = app.changes();
    if (!result.phaseDone("CUTOVER_1")) {
      String phase = end.path("phase").asText("?");
      throw new ScenarioFailure(Stage.JOURNEY.name() + " " + phase, "the journey stopped (" + result.journeyState + "): "
          + result.journeyMessage, result.logs.resolve("controller.log"), null);
    }
    DOWNTIME_EVENTS.forEach(e -> downtime(e.getKey(), e.getValue()));
  }

  /** Report key (DESIGN.md §11 downtime_seconds) -> the phase whose run it measures; unreached phases stay absent. */
  private static final List<Map.Entry<String, String>> DOWNTIME_EVENTS = List.of(Map.entry("cutover_1", "CUTOVER_1"),
      Map.entry("failover", "FAILOVER"), Map.entry("cutover_2", "CUTOVER_2"));

  /**
   * A hook that crashes node {@code id} (kill -9 of its agent and its postmaster) once {@code step} starts, e.g. A
   * during LOGICAL_SYNC for the failover stage.
   */
  public JourneyHook killNodeWhen(String id, String step) {
    return new JourneyHook("kill -9 node " + id + " (agent and PostgreSQL) during " + step, step, () -> {
      rig.agent(id).kill();
      rig.agentCluster(id).kill9();
    });
  }

  /** The largest commit gap while the phase ran (from its journal start to its end), from the ledger. */
  private void downtime(String event, String phase) {
    Optional<JournalFile.Entry> start = result.journal.stream().filter(e -> e.is("PHASE_STARTED", phase)).findFirst();
    Optional<JournalFile.Entry> done = result.journal.stream().filter(e -> e.is("PHASE_DONE", phase)).findFirst();
    if (start.isEmpty() || done.isEmpty()) {
      return;
    }
    long from = nanosOf(start.get().at());
    long to = nanosOf(done.get().at());
    // the gap closes with the first commit after the phase: wait for it (the app writes to the new primary)
    Ledger.await(() -> ledger.acknowledgedAfter(to) > 0, Duration.ofSeconds(60));
    result.downtime.put(event, gapBetween(from, to));
  }

  private Duration gapBetween(long from, long to) {
    long[] commits = ledger.acks().stream().mapToLong(Ledger.Ack::commitNanos).sorted().toArray();
    long prev = Long.MIN_VALUE;
    long max = 0;
    for (long c : commits) {
      if (prev != Long.MIN_VALUE && c >= from && prev <= to) {
        max = Math.max(max, c - prev);
      }
      prev = c;
    }
    return Duration.ofNanos(max);
  }

  private long nanosOf(Instant at) {
    return nanosAtStart + Duration.between(wallAtStart, at).toNanos();
  }

  private void crashAndResume(CrashPoint p) throws Exception {
    ManagedProcess old = rig.controller();
    long pid = old.pid();
    rig.killController();
    result.controllerCrashes.add("kill -9 " + pid + " during " + p.step());
    say.accept("     controller (pid " + pid + ") killed; restarting it");
    rig.restartController();
    Await.until("agents a and b to reconnect to the restarted controller", Duration.ofSeconds(60),
        () -> rig.api().agentsConnected() >= 2, () -> rig.controller().logTail(10));
    say.accept("     controller back (pid " + rig.controller().pid() + "); pgferry resume");
    driver.resume();
  }

  private Path writePlan() throws Exception {
    Path secrets = ws.dir("secrets");
    Path sourceUrl = secret(secrets.resolve("source-url"), source.adminUrl());
    Path targetUrl = secret(secrets.resolve("target-url"), target.url("postgres"));
    Path appPassword = secret(secrets.resolve("app-password"), SourceDatabase.APP_PASSWORD);
    String text = """
        # written by the e2e scenario (JourneyScenario)
        source: {url: "file:%s", archive_timeout: %ds, pg_major: %d}
        archive: {url: "%s"}
        nodes: {archive_replica: a, standby: b, hba_method: trust}
        target: {url: "file:%s"}
        app: {dbname: %s, user: %s, password: "file:%s"}
        %s
        thresholds:
          poll_interval: 200ms
          timeouts: {preflight: 1m, archive_replica: 3m, standby: 3m, cutover_1: 1m}
        durability: sync
        """.formatted(sourceUrl, options.archiveTimeout().toSeconds(), options.pgMajor(), archiveUrl, targetUrl,
        SourceDatabase.APP_DB, SourceDatabase.APP_USER, appPassword, app.planSwitch().strip());
    Path plan = ws.root().resolve("plan.yaml");
    Files.writeString(plan, text);
    return plan;
  }

  private static Path secret(Path file, String value) throws Exception {
    Files.writeString(file, value);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private void verify() throws Exception {
    long cutoverDone = result.journal.stream().filter(e -> e.is("PHASE_DONE", "CUTOVER_1")).findFirst()
        .map(e -> nanosOf(e.at())).orElse(Long.MAX_VALUE);
    if (!ledger.awaitMore(100, Duration.ofSeconds(60))) {
      throw new IllegalStateException("the app does not write after cutover 1: "
          + ledger.failures().stream().reduce((a, b) -> b).map(Ledger.Failure::message).orElse("no error seen"));
    }
    PgCluster a = rig.agentCluster("a");
    PgCluster b = rig.agentCluster("b");
    try (Connection onA = SourceDatabase.connectAsSuperuser(a, SourceDatabase.APP_DB)) {
      result.ledger = ledger.verify(onA);
      result.acknowledgedAfterCutover1 = ledger.acknowledgedAfter(cutoverDone);
      if (worker != null) {
        Instant fencedAt = result.journal.stream().filter(e -> e.is("STEP_DONE", JourneyTable.C1_FENCE_SOURCE))
            .findFirst().map(JournalFile.Entry::at).orElse(null);
        long fencedNanos = fencedAt == null ? Long.MAX_VALUE : nanosOf(fencedAt);
        var report = worker.verify(onA);
        long failedAfter = report.failures().stream().filter(f -> f.atNanos() > fencedNanos).count();
        result.worker = new JourneyResult.Worker(report, failedAfter, fencedAt,
            timestamp(onA, "SELECT max(written_at) FROM " + WORKER_TABLE));
      }
    }
    int sourceTimeline = Integer.parseInt(source.cluster().queryValue("SELECT timeline_id FROM pg_control_checkpoint()"));
    Await.until("b to stream from a on a's timeline", Duration.ofSeconds(60), () -> {
      JsonNode as = rig.api().node("a").orElseThrow().path("status");
      JsonNode bs = rig.api().node("b").orElseThrow().path("status");
      return bs.path("timeline").asInt() == as.path("timeline").asInt() && "streaming".equals(bs.path("wal_receiver_status").asText());
    }, () -> rig.api().node("b").map(n -> n.path("status").toString()).orElse("?"));
    long rowsOnA = count(a);
    Await.until("b to hold every ledger row a holds", Duration.ofSeconds(60), () -> count(b) == rowsOnA,
        () -> count(b) + " rows on b, " + rowsOnA + " on a");
    JsonNode as = rig.api().node("a").orElseThrow().path("status");
    JsonNode bs = rig.api().node("b").orElseThrow().path("status");
    result.topology = new JourneyResult.Topology(sourceTimeline, as.path("timeline").asInt(),
        as.path("in_recovery").asBoolean(), bs.path("timeline").asInt(), bs.path("state").asText(),
        bs.path("wal_receiver_status").asText(),
        query(a, "SELECT string_agg(application_name || ' ' || state || ' ' || sync_state, ', ') FROM pg_stat_replication"),
        rowsOnA, count(b));
    result.journal = driver.journal().read();
  }

  private static long count(PgCluster c) {
    try (Connection conn = SourceDatabase.connectAsSuperuser(c, SourceDatabase.APP_DB); Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*) FROM " + LEDGER_TABLE)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      return -1;
    }
  }

  private static String query(PgCluster c, String sql) throws SQLException {
    try (Connection conn = SourceDatabase.connectAsSuperuser(c, "postgres"); Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static Instant timestamp(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() && rs.getTimestamp(1) != null ? rs.getTimestamp(1).toInstant() : null;
    }
  }

  /** Everything left running, for ./demo --keep (and --clean later). */
  public Kept kept() {
    List<Long> pids = new ArrayList<>();
    List<Kept.Cluster> clusters = new ArrayList<>();
    if (rig != null) {
      if (rig.controller() != null && rig.controller().alive()) {
        pids.add(rig.controller().pid());
      }
      for (String id : List.of("a", "b")) {
        if (rig.agent(id) != null && rig.agent(id).alive()) {
          pids.add(rig.agent(id).pid());
        }
        if (rig.agentCluster(id) != null) {
          clusters.add(Kept.Cluster.of(rig.agentCluster(id)));
        }
      }
    }
    if (source != null) {
      clusters.add(Kept.Cluster.of(source.cluster()));
    }
    if (target != null) {
      clusters.add(Kept.Cluster.of(target));
    }
    if (app instanceof PgBouncerPath p) {
      p.bouncer().pid().ifPresent(pids::add);
    }
    return new Kept(ws.root().toString(), rig == null ? null : rig.controllerUrl(), pids, clusters);
  }

  @Override
  public void close() {
    if (ledger != null) {
      ledger.stop();
    }
    if (worker != null) {
      worker.stop();
    }
    if (app != null) {
      app.close();
    }
    if (rig != null) {
      rig.close();
    }
    if (target != null) {
      target.close();
    }
    if (source != null) {
      source.close();
    }
  }
}
