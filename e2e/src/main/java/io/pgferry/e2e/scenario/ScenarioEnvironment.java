package io.pgferry.e2e.scenario;

import io.pgferry.e2e.rig.ControllerNode;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Ledger;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.SeedApp;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a journey scenario runs on: the "Heroku" source archiving into a file archive, the target T, the app path
 * (PgBouncer or the Heroku stand-in) with the ledger (and a worker dyno) writing through it, the controller and the
 * agents a and b. Each start method is one stage of {@link JourneyScenario}; {@link #close()} stops what was started.
 */
final class ScenarioEnvironment implements AutoCloseable {
  private final Workspace ws;
  private final JourneyScenario.Options options;
  private final Consumer<String> say;
  private final PgBinaries binaries;
  private final String archiveUrl;

  private SourceDatabase source;
  private PgCluster target;
  private AppPath app;
  private Ledger ledger;
  private Ledger worker;
  private Rig rig;
  /** Every secret value handed to pgferry (name -> value), for the leak check. */
  private final Map<String, String> secrets = new LinkedHashMap<>(Map.of(
      "app password", SourceDatabase.APP_PASSWORD, "superuser password", SourceDatabase.SUPERUSER_PASSWORD));

  /** The etcd lease of the leader key when controllers run on etcd (controller.yaml store.lease_ttl's default). */
  static final Duration ETCD_LEASE_TTL = Duration.ofSeconds(3);

  ScenarioEnvironment(Workspace ws, JourneyScenario.Options options, Consumer<String> say) {
    this.ws = ws;
    this.options = options;
    this.say = say;
    this.binaries = PgBinaries.forMajor(options.pgMajor());
    this.archiveUrl = "file://" + ws.dir("archive");
  }

  void startClusters() throws SQLException {
    source = SourceDatabase.start(ws, binaries, archiveUrl, options.archiveTimeout(), appTables());
    if (options.logical()) {
      source.seedApp();
    }
    say.accept("  source: PostgreSQL " + binaries.version() + " on :" + source.cluster().port() + ", archive_command"
        + " = pgferry-agent wal-push, archive_timeout " + options.archiveTimeout().toSeconds() + " s -> " + archiveUrl
        + (options.logical() ? "; the ledger and the seed's app schema (hstore, serial/bigserial/identity, schema billing,"
        + " free-standing sequences, audit_log without a primary key, a materialized view)" : ""));
    // log_connections: a journey test reads which of pgferry's sessions used TLS
    target = PgCluster.init(ws, "target", PgBinaries.forMajor(targetMajor()), Map.of("log_connections", "on")).start();
    if (options.logical()) {
      prepareTarget();
      say.accept("  target T: PostgreSQL " + targetMajor() + " on :" + target.port() + ", empty database " + SourceDatabase.APP_DB
          + " and the app's role (" + (schemaByHand() ? "the schema put in place by hand: this host's pg_dump 15 cannot dump "
          + options.pgMajor() : "pgferry copies the schema") + ")");
    }
  }

  /** The ledger's tables: the web app's, and the worker dyno's when there is one. */
  private List<String> appTables() {
    return options.workerDyno() ? List.of(JourneyScenario.LEDGER_TABLE, JourneyScenario.WORKER_TABLE)
        : List.of(JourneyScenario.LEDGER_TABLE);
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
        st.execute(SeedApp.schemaDdl());
        for (String table : appTables()) {
          Ledger.createTable(c, table);
        }
      }
    }
  }

  void backup() {
    say.accept("  backup-push: " + source.backupPush());
  }

  void startControl() throws Exception {
    Path pgpass = secret("pgpass", "*:*:*:postgres:" + SourceDatabase.SUPERUSER_PASSWORD + "\n");
    rig = new Rig(ws, List.of("a", "b")).agentPasswordFile(pgpass);
    if (options.etcd()) {
      rig.etcd(options.controllers(), ETCD_LEASE_TTL);
    }
    rig.initCerts().startController(options.spare());
    rig.startAgent("a", binaries, ws.root().resolve("a"), FreePorts.next(), archiveUrl);
    rig.startAgent("b", binaries, ws.root().resolve("b"), FreePorts.next(), archiveUrl);
    say.accept("  " + (options.etcd() ? options.controllers() + " controllers on a 3-member etcd (lease ttl "
        + ETCD_LEASE_TTL.toSeconds() + " s), controller " + rig.leading().index() + " leads at "
        : options.spare() ? "controller (and its warm spare, waiting on the state dir's lock) " : "controller ")
        + rig.controllerUrl() + "; agents a and b connected over mTLS (empty data dirs)");
  }

  void startApp() {
    app = options.switchKind() == SwitchKind.PGBOUNCER
        ? new PgBouncerPath(ws, source.cluster())
        : new HerokuPath(ws.root(), source.appUrl());
    ledger = Ledger.start(Ledger.Options.of(app.jdbcUrl()).as(SourceDatabase.APP_USER, SourceDatabase.APP_PASSWORD)
        .writers(options.writers()).pause(Duration.ofMillis(5)).table(JourneyScenario.LEDGER_TABLE));
    app.onRestart(ledger::reconnectAll);
    if (options.workerDyno()) {
      String direct = source.cluster().jdbcUrl(SourceDatabase.APP_DB);
      worker = Ledger.start(Ledger.Options.of(() -> direct).as(SourceDatabase.APP_USER, SourceDatabase.APP_PASSWORD)
          .writers(1).pause(Duration.ofMillis(10)).table(JourneyScenario.WORKER_TABLE));
    }
    if (!ledger.awaitMore(20, Duration.ofSeconds(30))) {
      throw new IllegalStateException("the ledger does not write through " + app.describe() + ": " + lastLedgerFailure());
    }
    say.accept("  app: the ledger (" + options.writers() + " writers) writes through " + app.describe()
        + (worker == null ? "" : "; a worker dyno writes straight to the source"));
  }

  /** The ledger's last failure, for a message. */
  String lastLedgerFailure() {
    return ledger.failures().stream().reduce((a, b) -> b).map(Ledger.Failure::message).orElse("no error seen");
  }

  /** Writes {@code value} to secrets/{@code name}, mode 0600; returns the file. */
  Path secret(String name, String value) throws Exception {
    Path file = ws.dir("secrets").resolve(name);
    secrets.put(name, value.strip());
    Files.writeString(file, value);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  Path root() {
    return ws.root();
  }

  /** Every secret value handed to pgferry, the app path's included (name -> value). */
  Map<String, String> secrets() {
    Map<String, String> all = new LinkedHashMap<>(secrets);
    if (app != null) {
      all.putAll(app.secrets());
    }
    return all;
  }

  String archiveUrl() {
    return archiveUrl;
  }

  SourceDatabase source() {
    return source;
  }

  PgCluster target() {
    return target;
  }

  AppPath app() {
    return app;
  }

  Ledger ledger() {
    return ledger;
  }

  /** The worker dyno's ledger, or null. */
  Ledger worker() {
    return worker;
  }

  Rig rig() {
    return rig;
  }

  /** Everything left running, for ./demo --keep (and --clean later). */
  Kept kept() {
    List<Long> pids = new ArrayList<>();
    List<Kept.Cluster> clusters = new ArrayList<>();
    if (rig != null) {
      rig.controllers().stream().filter(ControllerNode::alive).forEach(c -> pids.add(c.process().pid()));
      rig.controllers().stream().filter(c -> c.spare() != null && c.spare().alive()).forEach(c -> pids.add(c.spare().pid()));
      if (rig.etcd() != null) {
        pids.addAll(rig.etcd().pids());
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
