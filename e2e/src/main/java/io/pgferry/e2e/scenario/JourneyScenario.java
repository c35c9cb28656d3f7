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

  /**
   * What to run. {@code logical}: the journey goes on through logical replication to T and cutover 2 (the source
   * then also holds the seed's app schema); {@code failover}: A (agent and postmaster) is killed with -9 once
   * LOGICAL_SYNC's wait starts, and the controller fails over to B.
   */
  public record Options(int pgMajor, SwitchKind switchKind, boolean workerDyno, Set<CrashPoint> crashes,
                        Duration archiveTimeout, int writers, Duration journeyTimeout, boolean logical, boolean failover) {
    public static Options defaults() {
      return new Options(15, SwitchKind.PGBOUNCER, false, EnumSet.noneOf(CrashPoint.class), Duration.ofSeconds(5), 2,
          Duration.ofMinutes(4), false, false);
    }

    /** The whole journey: logical replication, a failover during LOGICAL_SYNC, cutover 2. */
    public static Options wholeJourney() {
      return defaults().throughCutover2().killAInLogicalSync(true);
    }

    public Options pg(int major) {
      return new Options(major, switchKind, workerDyno, crashes, archiveTimeout, writers, journeyTimeout, logical, failover);
    }

    public Options heroku(boolean withWorkerDyno) {
      return new Options(pgMajor, SwitchKind.HEROKU, withWorkerDyno, crashes, archiveTimeout, writers, journeyTimeout, logical,
          failover);
    }

    public Options crashControllerAt(CrashPoint... points) {
      Set<CrashPoint> s = EnumSet.noneOf(CrashPoint.class);
      s.addAll(List.of(points));
      return new Options(pgMajor, switchKind, workerDyno, s, archiveTimeout, writers, journeyTimeout, logical, failover);
    }

    /** On through LOGICAL_SETUP, LOGICAL_SYNC and CUTOVER_2 (FINISHED), with more time for the journey. */
    public Options throughCutover2() {
      Duration timeout = journeyTimeout.compareTo(Duration.ofMinutes(8)) < 0 ? Duration.ofMinutes(8) : journeyTimeout;
      return new Options(pgMajor, switchKind, workerDyno, crashes, archiveTimeout, writers, timeout, true, failover);
    }

    /** Kill A during LOGICAL_SYNC (implies {@link #throughCutover2}) or not. */
    public Options killAInLogicalSync(boolean kill) {
      Options o = kill ? throughCutover2() : this;
      return new Options(o.pgMajor, o.switchKind, o.workerDyno, o.crashes, o.archiveTimeout, o.writers, o.journeyTimeout, o.logical,
          kill);
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
  /** System.nanoTime() of the kill of A (0: not killed). */
  private volatile long aKilledAt;

  public JourneyScenario(Workspace ws, Options options, Consumer<String> say) {
    this.ws = ws;
    this.options = options;
    this.say = say;
    this.binaries = PgBinaries.forMajor(options.pgMajor());
    this.archiveUrl = "file://" + ws.dir("archive");
    result.pgMajor = options.pgMajor();
    result.logical = options.logical();
    result.failoverExpected = options.failover();
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

  private void startClusters() throws SQLException {
    List<String> tables = options.workerDyno() ? List.of(LEDGER_TABLE, WORKER_TABLE) : List.of(LEDGER_TABLE);
    source = SourceDatabase.start(ws, binaries, archiveUrl, options.archiveTimeout(), tables);
    if (options.logical()) {
      source.seedApp();
    }
    say.accept("  source: PostgreSQL " + binaries.version() + " on :" + source.cluster().port() + ", archive_command"
        + " = pgferry-agent wal-push, archive_timeout " + options.archiveTimeout().toSeconds() + " s -> " + archiveUrl
        + (options.logical() ? "; the ledger and the seed's app schema (hstore, serial/bigserial/identity, schema billing,"
        + " free-standing sequences, audit_log without a primary key, a materialized view)" : ""));
    target = PgCluster.init(ws, "target", PgBinaries.forMajor(targetMajor()), Map.of()).start();
    if (options.logical()) {
      prepareTarget();
      say.accept("  target T: PostgreSQL " + targetMajor() + " on :" + target.port() + ", empty database " + SourceDatabase.APP_DB
          + " and the app's role (" + (schemaByHand() ? "the schema put in place by hand: this host's pg_dump 15 cannot dump "
          + options.pgMajor() : "pgferry copies the schema") + ")");
    }
  }

  /** T's major: 17 beside a 17 source (failover slots need both on 17+), else Debian's 15 (Aurora's stand-in). */
  private int targetMajor() {
    return options.pgMajor() >= 17 ? 17 : 15;
  }

  /** This host has pg_dump 15 only, which refuses a newer source: the operator copies the schema to T by hand. */
  private boolean schemaByHand() {
    return options.pgMajor() > 15;
  }

  /**
   * What the operator prepares on T (Aurora) before the journey: the database, the app's role, and default privileges
   * so the app may use what pgferry's schema copy (pg_dump --no-owner, run as T's admin) creates; for a source newer
   * than this host's pg_dump, the schema itself (pgferry's schema copy then finds it in place).
   */
  private void prepareTarget() throws SQLException {
    target.execute("CREATE ROLE " + SourceDatabase.APP_USER + " LOGIN PASSWORD '" + SourceDatabase.APP_PASSWORD + "'",
        "CREATE DATABASE " + SourceDatabase.APP_DB);
    try (Connection c = target.connect(SourceDatabase.APP_DB); Statement st = c.createStatement()) {
      for (String what : List.of("GRANT ALL ON TABLES", "GRANT ALL ON SEQUENCES", "GRANT USAGE ON SCHEMAS")) {
        st.execute("ALTER DEFAULT PRIVILEGES FOR ROLE postgres " + what + " TO " + SourceDatabase.APP_USER);
      }
      if (schemaByHand()) {
        st.execute(SourceDatabase.appSchemaDdl());
        for (String table : options.workerDyno() ? List.of(LEDGER_TABLE, WORKER_TABLE) : List.of(LEDGER_TABLE)) {
          Ledger.createTable(c, table);
        }
      }
    }
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
    rig = new Rig(ws, List.of("a", "b")).agentPasswordFile(pgpass);
    if (options.logical()) {
      rig.leaseMs(4000); // the plan's failover.max_lease: A's agent fences itself before B may be promoted
    }
    rig.initCerts().startController();
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
    if (options.logical()) {
      // a small data set syncs before LOGICAL_SETUP ends, and LOGICAL_SYNC would be over in 0.1 s: a schema change on
      // A after setup (pgferry's drift check holds cutover 2 until T has it too) keeps the journey in LOGICAL_SYNC
      hooks.add(new JourneyHook("the app's release adds a CHECK constraint on a after logical setup (schema drift)",
          JourneyTable.LS_STANDBY_SLOT, () -> migrate(rig.agentCluster("a"), "a")));
      if (options.failover()) {
        hooks.add(killNodeWhen("a", JourneyTable.SYNC_WAIT));
        // the migration reaches T only once the app writes to b: the failover's outage and cutover 2's stay apart
        hooks.add(new JourneyHook("the same migration on T once the app writes to b (resolves the drift)",
            JourneyTable.FO_REPOINT_SUBSCRIPTION, () -> {
              Await.until("the app to commit through " + app.describe() + " on b after the failover", Duration.ofSeconds(90),
                  () -> ledger.firstAckAfterOutage(aKilledAt) > 0 && ledger.acknowledgedAfter(ledger.firstAckAfterOutage(aKilledAt)) >= 100,
                  () -> ledger.failures().stream().reduce((x, y) -> y).map(Ledger.Failure::message).orElse("no error seen"));
              // PostgreSQL restarts T's apply worker up to wal_retrieve_retry_interval (5 s) after the repoint; until it
              // runs, T does not apply b's WAL and cutover 2's wait_applied would hold the app's writes for it
              Await.until("T's subscription to apply from b", Duration.ofSeconds(60), () -> "1".equals(target.queryValue(
                  "SELECT count(*) FROM pg_stat_subscription WHERE subname = 'pgferry_sub' AND relid IS NULL AND pid IS NOT NULL"
                  + " AND last_msg_receipt_time > now() - interval '1 second'")), () -> "no apply worker receiving from b");
              migrate(target, "T");
            }));
      } else {
        hooks.add(new JourneyHook("the same migration on T once pgferry reports the drift", JourneyTable.SYNC_WAIT, () -> {
          Await.until("LOGICAL_SYNC to report the schema change on a", Duration.ofSeconds(60),
              () -> rig.api().journey().map(j -> j.path("progress").asText().contains("schema changed")).orElse(false),
              () -> rig.api().journey().map(j -> j.path("progress").asText()).orElse("?"));
          say.accept("     pgferry holds cutover 2: " + rig.api().journey().map(j -> j.path("progress").asText()).orElse("?"));
          migrate(target, "T");
        }));
      }
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
    // in the order they first ran (FAILOVER between the two LOGICAL_SYNC runs), phases not reached last
    result.phases.sort(java.util.Comparator.comparing(p -> result.journal.stream().filter(e -> e.is("PHASE_STARTED", p.name()))
        .findFirst().map(JournalFile.Entry::at).orElse(Instant.MAX)));
    result.appPathChanges = app.changes();
    boolean reached = options.logical() ? "FINISHED".equals(result.journeyState) && result.phaseDone("CUTOVER_2")
        : result.phaseDone("CUTOVER_1");
    if (!reached) {
      String phase = end.path("phase").asText("?");
      throw new ScenarioFailure(Stage.JOURNEY.name() + " " + phase, "the journey stopped (" + result.journeyState + "): "
          + result.journeyMessage, result.logs.resolve("controller.log"), null);
    }
    JourneyTimings times = timings();
    for (Map.Entry<String, String> e : DOWNTIME_EVENTS) {
      Optional<Duration> d = "FAILOVER".equals(e.getValue()) && aKilledAt != 0 && times.last("PHASE_DONE", "FAILOVER").isPresent()
          ? times.killToFirstCommit(aKilledAt) : times.phaseDowntime(e.getValue());
      d.ifPresent(x -> result.downtime.put(e.getKey(), x));
    }
    result.cutover2Steps.putAll(times.cutover2Steps());
    result.failoverSplit.putAll(times.failoverSplit(aKilledAt));
  }

  /** The app's schema migration (DDL that logical replication does not carry): a CHECK constraint on billing.invoices. */
  private void migrate(PgCluster node, String name) throws SQLException {
    try (Connection c = SourceDatabase.connectAsSuperuser(node, SourceDatabase.APP_DB); Statement st = c.createStatement()) {
      st.execute("ALTER TABLE billing.invoices ADD CONSTRAINT invoices_amount_not_negative CHECK (amount >= 0)");
    }
    say.accept("     on " + name + ": ALTER TABLE billing.invoices ADD CONSTRAINT invoices_amount_not_negative CHECK (amount >= 0)");
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
      if ("a".equals(id)) {
        aKilledAt = System.nanoTime();
      }
      rig.agent(id).kill();
      rig.agentCluster(id).kill9();
    });
  }

  /**
   * A hook that loses node {@code id} once {@code step} starts: kill -9 of its agent and postmaster, its data dir
   * damaged (global/pg_control and base/ deleted: PostgreSQL cannot start from it), then its agent started again, as
   * systemd would.
   */
  public JourneyHook loseNodeWhen(String id, String step) {
    return new JourneyHook("lose node " + id + " during " + step + " (kill -9 of agent and PostgreSQL, data dir"
        + " damaged, agent restarted)", step, () -> {
      rig.agent(id).kill();
      rig.agentCluster(id).kill9();
      Path dataDir = rig.agentCluster(id).dataDir();
      Files.delete(dataDir.resolve("global/pg_control"));
      try (var walk = Files.walk(dataDir.resolve("base"))) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
      say.accept("     " + id + " killed, its global/pg_control and base/ deleted; its agent starts again");
      rig.agent(id).start();
    });
  }

  /** Times from the journal read so far and the ledger's commits. */
  private JourneyTimings timings() {
    return new JourneyTimings(result.journal, ledger, wallAtStart, nanosAtStart);
  }

  private long nanosOf(Instant at) {
    return timings().nanosOf(at);
  }

  private Optional<JournalFile.Entry> last(String event, String stepOrPhase) {
    return timings().last(event, stepOrPhase);
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
    Path targetUrl = secret(secrets.resolve("target-url"), target.url(options.logical() ? SourceDatabase.APP_DB : "postgres"));
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
    if (options.logical()) {
      Path replicationPassword = secret(secrets.resolve("replication-password"), "repl-" + Long.toHexString(System.nanoTime()));
      Path adminPassword = secret(secrets.resolve("admin-password"), SourceDatabase.SUPERUSER_PASSWORD);
      text += """
          replica_identity_full: [public.audit_log]
          logical:
            replication_password: "file:%s"
            admin_password: "file:%s"
            target_address: 127.0.0.1/32
            verify: full
            verify_chunk_rows: 500
            sync_timeout: 3m
            cutover_2_timeout: 1m
          failover: {detect_after: 3s, lease_margin: 1s, max_lease: 4s, admin_password: "file:%s"}
          """.formatted(replicationPassword, adminPassword, adminPassword);
    }
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
    if (options.logical()) {
      verifyOnTarget();
    } else {
      verifyCutover1();
    }
  }

  /**
   * After cutover 2: the ledger on T (the final primary), T against the last source-side primary (A, or B after the
   * failover) table by table and sequence by sequence.
   */
  private void verifyOnTarget() throws Exception {
    long c1Done = last("PHASE_DONE", "CUTOVER_1").map(e -> nanosOf(e.at())).orElse(Long.MAX_VALUE);
    long c2Done = last("PHASE_DONE", "CUTOVER_2").map(e -> nanosOf(e.at())).orElse(Long.MAX_VALUE);
    if (!ledger.awaitMore(100, Duration.ofSeconds(60))) {
      throw new IllegalStateException("the app does not write after cutover 2: "
          + ledger.failures().stream().reduce((a, b) -> b).map(Ledger.Failure::message).orElse("no error seen"));
    }
    result.lastSourcePrimary = last("STEP_DONE", JourneyTable.FO_PROMOTE_B).isPresent() ? "b" : "a";
    PgCluster last = rig.agentCluster(result.lastSourcePrimary);
    Set<String> appTables = Set.of(LEDGER_TABLE, WORKER_TABLE);
    try (Connection onT = target.connect(SourceDatabase.APP_DB);
         Connection onLast = SourceDatabase.connectAsSuperuser(last, SourceDatabase.APP_DB)) {
      result.ledger = ledger.verify(onT);
      result.acknowledgedAfterCutover1 = ledger.acknowledgedAfter(c1Done);
      result.acknowledgedAfterCutover2 = ledger.acknowledgedAfter(c2Done);
      result.tables.clear();
      result.tables.addAll(TargetCheck.tables(onLast, onT, appTables));
      result.sequences.clear();
      result.sequences.addAll(TargetCheck.sequences(onLast, onT, appTables));
    }
    long tablesEqual = result.tables.stream().filter(JourneyResult.TableCheck::equal).count();
    long sequencesEqual = result.sequences.stream().filter(JourneyResult.SequenceCheck::equal).count();
    say.accept("  T against " + result.lastSourcePrimary + ": " + tablesEqual + "/" + result.tables.size() + " tables equal, "
        + sequencesEqual + "/" + result.sequences.size() + " sequences equal; ledger on T: " + result.ledger.summary());
    result.journal = driver.journal().read();
  }

  private void verifyCutover1() throws Exception {
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
