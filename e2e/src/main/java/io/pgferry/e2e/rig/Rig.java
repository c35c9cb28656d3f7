package io.pgferry.e2e.rig;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.common.Command;
import io.pgferry.controller.cli.ApiCredentials;
import io.pgferry.testkit.Await;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A local pgferry installation for the demo, the end-to-end tests and the benchmarks: certificates, a controller
 * daemon and agent daemons as real processes (the shaded jars), each with its own config file and log. As in a real
 * install the controller's API is HTTPS and every call (the rig's {@link ControllerApi}, {@link #pgferryCli}) presents
 * the operator certificate {@code operator-rig} that {@link #initCerts} issues; /metrics and /health are scraped from
 * the read-only listener ({@link #controllerMetricsPort}).
 *
 * <p>With {@link #etcd} the rig runs several controller processes on one real etcd cluster ({@code store: etcd},
 * docs/ha.md), gives each agent every controller's link address, and follows the leader: {@link #api()},
 * {@link #controller()} and {@link #controllerUrl()} then name the controller holding the etcd leader key.
 */
public final class Rig implements AutoCloseable {
  /** The operator the rig's certificate is issued to: CN operator-rig. */
  public static final String OPERATOR = "rig";
  private final Workspace ws;
  private final Path certs;
  private final Path logs;
  private final Map<String, ManagedProcess> agents = new LinkedHashMap<>();
  private final Map<String, Integer> agentHttpPorts = new LinkedHashMap<>();
  private final Map<String, PgCluster> agentClusters = new LinkedHashMap<>();
  private final List<String> agentIds;
  /** The controller processes (one unless {@link #etcd}), numbered from 1. */
  private final List<ControllerNode> controllers = new ArrayList<>();
  private EtcdControlPlane etcd;
  private final String apiToken = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
  private int leaseMs = 5_000; // the controller's default (controller.yaml lease_ms)
  private final Map<String, Integer> dialPorts = new LinkedHashMap<>();
  /** The controller last seen leading (etcd), or the only one. */
  private volatile ControllerNode current;
  private Path agentPasswordFile;
  private boolean allowTrust;

  public Rig(Workspace ws, List<String> agentIds) {
    this.ws = ws;
    this.agentIds = List.copyOf(agentIds);
    this.certs = ws.root().resolve("certs");
    this.logs = ws.dir("logs");
  }

  public Workspace workspace() {
    return ws;
  }

  /** pgferry's CA and certificates (`pgferry certs init`): ca.pem, controller.pem/.key, agent-ID.pem/.key. */
  public Path certs() {
    return certs;
  }

  public Path logs() {
    return logs;
  }

  /** The API of the controller that leads (etcd: as the leader key names it now), or of the only one. */
  public ControllerApi api() {
    return leading().api();
  }

  public int linkPort() {
    return first().linkPort();
  }

  public int controllerHttpPort() {
    return leading().httpPort();
  }

  /** The controller's read-only listener: /metrics and /health over plain HTTP, no credentials (what Prometheus scrapes). */
  public int controllerMetricsPort() {
    return leading().metricsPort();
  }

  /**
   * Runs {@code count} controllers on a real 3-member etcd cluster with this lease ttl instead of one on the embedded
   * store; set before {@link #startController}.
   */
  public Rig etcd(int count, Duration leaseTtl) {
    this.etcd = new EtcdControlPlane(count, leaseTtl);
    return this;
  }

  /** The etcd side (null on the embedded store). */
  public EtcdControlPlane etcd() {
    return etcd;
  }

  /** Every controller process, numbered from 1. */
  public List<ControllerNode> controllers() {
    return List.copyOf(controllers);
  }

  /** Controller number {@code index} (from 1). */
  public ControllerNode controllerNode(int index) {
    return controllers.get(index - 1);
  }

  /**
   * The controller the etcd leader key names now (refreshed at each call; while no controller leads, the last one
   * seen leading), or the only one on the embedded store.
   */
  public ControllerNode leading() {
    if (etcd != null) {
      etcd.leader().flatMap(l -> controllers.stream().filter(c -> c.advertised().equals(l.address())).findFirst())
          .ifPresent(c -> current = c);
    }
    return current;
  }

  /** Waits until a controller other than {@code not} (null: any) holds the leader key; returns it. */
  public ControllerNode awaitLeader(ControllerNode not, Duration timeout) {
    if (etcd == null) {
      return current;
    }
    Await.until("a controller" + (not == null ? "" : " other than " + not.index()) + " to lead", timeout,
        () -> etcd.leader().map(l -> not == null || !l.address().equals(not.advertised())).orElse(false),
        () -> String.valueOf(etcd.leader()));
    return leading();
  }

  /** The journal as the controllers keep it: state_dir/journey.jsonl, or etcd's records. */
  public JournalFile journal() {
    return etcd == null ? new JournalFile(controllerStateDir()) : etcd.journal();
  }

  /** Leader changes the rig saw (etcd), 0 on the embedded store. */
  public int leaderChanges() {
    return etcd == null ? 0 : etcd.leaderChanges();
  }

  /**
   * The bearer token of the controller's http.token_file (0600), for a client that cannot present a certificate
   * (the status page test's browser).
   */
  public String apiToken() {
    return apiToken;
  }

  /** The controller's http.token_file. */
  public Path apiTokenFile() {
    return ws.root().resolve("api-token");
  }

  /** The operator certificate, its key and the CA, as the CLI takes them (--cert, --key, --cacert). */
  public ApiCredentials operatorCredentials() {
    return new ApiCredentials(certs.resolve("operator-" + OPERATOR + ".pem"), certs.resolve("operator-" + OPERATOR + ".key"),
        certs.resolve("ca.pem"), null);
  }

  /** The CLI options that present {@link #operatorCredentials()}. */
  public List<String> operatorOptions() {
    ApiCredentials c = operatorCredentials();
    return List.of("--cacert", c.cacert().toString(), "--cert", c.cert().toString(), "--key", c.key().toString());
  }

  /**
   * `pgferry certs init` for the controller, every agent (its certificate also serves its PostgreSQL, named
   * 127.0.0.1 for sslmode verify-full) and the rig's operator.
   */
  public Rig initCerts() {
    List<String> argv = new ArrayList<>(List.of(pgferry(), "certs", "init", certs.toString(), "--controller-host", "127.0.0.1",
        "--operator", OPERATOR));
    for (String id : agentIds) {
      argv.add("--agent");
      argv.add(id + "=127.0.0.1");
    }
    Command.of(javaJar(Launchers.controllerJar(), argv.subList(1, argv.size()))).runChecked();
    return this;
  }

  /** The controller's lease_ms (default 5000, as controller.yaml's); set before {@link #startController}. */
  public Rig leaseMs(int ms) {
    this.leaseMs = ms;
    return this;
  }

  /** Agent {@code id} dials the controller's link at {@code port} (e.g. a proxy the test can cut); set before starting it. */
  public Rig agentDialsPort(String id, int port) {
    dialPorts.put(id, port);
    return this;
  }

  /** The controller's state_dir (journal, plan copy). */
  public Path controllerStateDir() {
    return ws.root().resolve("controller-state");
  }

  /**
   * Starts the controller (etcd: the etcd cluster and every controller, then waits until one leads). Each controller
   * has its own state_dir ({@link #controllerStateDir()} for the first, controller-N-state for the others).
   */
  public Rig startController() {
    return startController(false);
  }

  /** As above; {@code spare}: a warm spare beside the controller (embedded store only, docs/ha.md "A warm spare"). */
  public Rig startController(boolean spare) {
    if (spare && etcd != null) {
      throw new IllegalArgumentException("a warm spare is for the embedded store; on etcd the followers take over");
    }
    Path tokenFile = writeTokenFile();
    int count = etcd == null ? 1 : etcd.controllers();
    if (etcd != null) {
      etcd.start();
    }
    for (int i = 1; i <= count; i++) {
      ControllerNode c = new ControllerNode(i, logs, operatorCredentials());
      Path stateDir = i == 1 ? controllerStateDir() : ws.root().resolve("controller-" + i + "-state");
      c.config(write(i == 1 ? "controller.yaml" : "controller-" + i + ".yaml", """
          listen: {host: 127.0.0.1, port: %d}
          tls: {ca: %s, cert: %s, key: %s}
          http: {host: 127.0.0.1, port: %d, token_file: %s}
          metrics: {host: 127.0.0.1, port: %d}
          state_dir: %s
          lease_ms: %d
          """.formatted(c.linkPort(), certs.resolve("ca.pem"), certs.resolve("controller.pem"), certs.resolve("controller.key"),
          c.httpPort(), tokenFile, c.metricsPort(), stateDir, leaseMs) + (etcd == null ? "" : etcd.storeYaml(i))));
      controllers.add(c);
      if (spare) {
        c.withSpare();
      }
      c.launch(controllerJava());
    }
    current = controllers.get(0);
    awaitLeader(null, Duration.ofSeconds(30));
    return this;
  }

  /** Starts the controller again on the same config, ports and state dir (after {@link #killController()}). */
  public Rig restartController() {
    return restartController(current);
  }

  /** Starts controller {@code c} again on its config, ports and state dir after a kill (etcd: it joins as a follower). */
  public Rig restartController(ControllerNode c) {
    c.launch(controllerJava());
    return this;
  }

  /** kill -9 of the controller process (etcd: of the leader): a crash, nothing flushed or closed. */
  public void killController() {
    leading().kill();
  }

  public String controllerUrl() {
    return leading().url();
  }

  private ControllerNode first() {
    if (controllers.isEmpty()) {
      throw new IllegalStateException("no controller started yet");
    }
    return controllers.get(0);
  }

  /** Every controller's link address, as agents are given them. */
  private String controllerAddresses() {
    List<String> all = controllers.stream().map(c -> "\"127.0.0.1:" + c.linkPort() + "\"").toList();
    return all.size() == 1 ? all.get(0) : "[" + String.join(", ", all) + "]";
  }

  /**
   * Runs the pgferry CLI (the controller's shaded jar) against this controller:
   * {@code pgferry ARGS --controller URL --cacert CA --cert OPERATOR --key KEY}.
   * The result carries its exit code and output; nothing is checked here.
   */
  public Command.Result pgferryCli(List<String> args, Duration timeout) {
    List<String> argv = new ArrayList<>(args);
    argv.add("--controller");
    argv.add(controllerUrl());
    argv.addAll(operatorOptions());
    return Command.of(javaJar(Launchers.controllerJar(), argv)).timeout(timeout).run();
  }

  /**
   * Starts an agent daemon for node {@code id} managing {@code dataDir} (empty or absent: the agent builds it) on
   * {@code pgPort} with the given binaries.
   */
  /**
   * A libpq passfile (0600) the agents use for their own connections to their PostgreSQL and to the upstream: a
   * data dir restored from a base backup gets pg_hba.conf from the agent (scram-sha-256 on the network), as on a
   * real host, so the agent needs the superuser's password.
   */
  public Rig agentPasswordFile(Path pgpass) {
    this.agentPasswordFile = pgpass;
    return this;
  }

  /**
   * Agents started after this accept goals whose pg_hba rules use method trust (agent.yaml goals.allow_trust), for a
   * plan with hba_method trust on clusters that have no passwords. Off by default, as on a real host.
   */
  public Rig allowTrust() {
    this.allowTrust = true;
    return this;
  }

  public ManagedProcess startAgent(String id, PgBinaries binaries, Path dataDir, int pgPort, String archiveUrl) {
    int http = agentHttpPorts.computeIfAbsent(id, k -> FreePorts.next());
    Path config = write("agent-" + id + ".yaml", """
        node_id: %s
        controller: {address: %s}
        tls: {ca: %s, cert: %s, key: %s}
        postgres:
          bin_dir: %s
          data_dir: %s
          port: %d
          host: 127.0.0.1
          listen_addresses: 127.0.0.1
          socket_dir: %s
          os_user: postgres
          replication_user: postgres
          settings: {shared_buffers: 64MB, log_connections: "on"}
        %s
        %s
        state_dir: %s
        http: {host: 127.0.0.1, port: %d}
        %s
        """.formatted(id, dialPorts.containsKey(id) ? "\"127.0.0.1:" + dialPorts.get(id) + "\"" : controllerAddresses(), certs.resolve("ca.pem"), certs.resolve("agent-" + id + ".pem"),
        certs.resolve("agent-" + id + ".key"), binaries.binDir(), dataDir, pgPort, ws.dir("sock"),
        agentPasswordFile == null ? "" : "  password_file: " + agentPasswordFile,
        archiveUrl == null ? "" : "archive: {url: \"" + archiveUrl + "\"}", ws.root().resolve("agent-" + id + "-state"), http,
        allowTrust ? "goals: {allow_trust: true}" : ""));
    // started by its launcher (bin/pgferry-agent): the JVM flags production uses (heap bounds, serial GC), so the
    // footprint the bench measures is the one a host pays; also the agent's restore_command (curl path)
    ManagedProcess agent = new ManagedProcess("agent-" + id,
        List.of(Launchers.agentLauncher().toString(), "run", "--config", config.toString()), logs.resolve("agent-" + id + ".log")).start();
    agents.put(id, agent);
    // the agent leaves its PostgreSQL running when it stops (as under systemd): the rig stops it on close
    agentClusters.put(id, PgCluster.adopt(id, binaries, dataDir, pgPort).viaSocket());
    Await.until("agent " + id + " to connect", Duration.ofSeconds(60),
        () -> api().node(id).map(n -> n.path("connected").asBoolean()).orElse(false), () -> agent.logTail(20));
    return agent;
  }

  /** The PostgreSQL an agent manages, for direct SQL (port and data dir as configured). */
  public PgCluster agentCluster(String id) {
    return agentClusters.get(id);
  }

  /** Agents whose process runs (a crashed node's agent does not). */
  public long agentsAlive() {
    return agents.values().stream().filter(ManagedProcess::alive).count();
  }

  public ManagedProcess agent(String id) {
    return agents.get(id);
  }

  public int agentHttpPort(String id) {
    return agentHttpPorts.get(id);
  }

  /** The controller process (etcd: the leader's, see {@link #leading()}). */
  public ManagedProcess controller() {
    return controllers.isEmpty() ? null : leading().process();
  }

  /** Waits until the node reports {@code state} for a goal at least as new as the one last assigned. */
  public JsonNode awaitState(String id, String state, Duration timeout) {
    Await.until("node " + id + " to reach " + state, timeout,
        () -> api().node(id).map(n -> state.equals(n.path("status").path("state").asText())
            && n.path("status").path("goal_generation").asLong() >= n.path("goal").path("generation").asLong()).orElse(false),
        () -> api().node(id).map(n -> n.path("status").toString()).orElse("(unknown node)") + "\n" + agents.get(id).logTail(15));
    return api().node(id).orElseThrow();
  }

  private Path writeTokenFile() {
    Path file = write(apiTokenFile().getFileName().toString(), apiToken + "\n");
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private Path write(String name, String content) {
    try {
      Path file = ws.root().resolve(name);
      Files.writeString(file, content);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String pgferry() {
    return "pgferry";
  }

  /** "java [AppCDS options] -jar pgferry.jar" for a controller ({@link ControllerCds}). */
  private List<String> controllerJava() {
    Path jar = Launchers.controllerJar();
    List<String> argv = new ArrayList<>(List.of(Launchers.javaCommand().split(" ")));
    argv.addAll(ControllerCds.options(jar, this::cdsTrainingRun));
    argv.add("-jar");
    argv.add(jar.toString());
    return argv;
  }

  /** A controller on a scratch config (own ports and state dir, the embedded store) started until it answers, then stopped. */
  private void cdsTrainingRun(List<String> jvmOptions) {
    ControllerNode c = new ControllerNode(0, logs, operatorCredentials());
    c.config(write("controller-cds-training.yaml", """
        listen: {host: 127.0.0.1, port: %d}
        tls: {ca: %s, cert: %s, key: %s}
        http: {host: 127.0.0.1, port: %d, token_file: %s}
        metrics: {host: 127.0.0.1, port: %d}
        state_dir: %s
        """.formatted(c.linkPort(), certs.resolve("ca.pem"), certs.resolve("controller.pem"), certs.resolve("controller.key"),
        c.httpPort(), writeTokenFile(), c.metricsPort(), ws.root().resolve("controller-cds-training-state"))));
    List<String> argv = new ArrayList<>(List.of(Launchers.javaCommand().split(" ")));
    argv.addAll(jvmOptions);
    argv.add("-jar");
    argv.add(Launchers.controllerJar().toString());
    try {
      c.launch(argv);
    } finally {
      c.close(); // SIGTERM: the JVM writes the archive as it exits
    }
  }

  private static List<String> javaJar(Path jar, List<String> args) {
    List<String> argv = new ArrayList<>(List.of(Launchers.javaCommand().split(" ")));
    argv.add("-jar");
    argv.add(jar.toString());
    argv.addAll(args);
    return argv;
  }

  @Override
  public void close() {
    agents.values().forEach(ManagedProcess::close);
    controllers.forEach(ControllerNode::close);
    agentClusters.values().forEach(PgCluster::close);
    if (etcd != null) {
      etcd.close();
    }
  }
}
