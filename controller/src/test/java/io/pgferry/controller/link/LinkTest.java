package io.pgferry.controller.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.link.LinkClient;
import io.pgferry.agent.link.LinkSettings;
import io.pgferry.common.Backoff;
import io.pgferry.common.Tls;
import io.pgferry.controller.certs.CertificateAuthority;
import io.pgferry.controller.daemon.ControllerConfig;
import io.pgferry.controller.cli.PgferryMain;
import io.pgferry.controller.daemon.ControllerDaemon;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.AgentLinkGrpcClient;
import io.pgferry.proto.AgentMessage;
import io.pgferry.proto.ControllerMessage;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.pgferry.testkit.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Both ends of the agent link over real mutual TLS: the agent's LinkClient against the controller daemon. */
class LinkTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Backoff FAST = new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), 2.0);

  @TempDir
  static Path certs;
  static Path otherCerts;

  @TempDir
  Path stateDir;

  Vertx vertx;
  ControllerDaemon controller;
  int linkPort;
  final List<LinkClient> clients = new ArrayList<>();

  @BeforeAll
  static void issueCertificates() throws Exception {
    new CertificateAuthority(certs, Duration.ofDays(1), Duration.ofDays(1)).init(List.of(), List.of("a", "b"), List.of("ops"), false);
    otherCerts = Files.createTempDirectory(certs, "other");
    new CertificateAuthority(otherCerts, Duration.ofDays(1), Duration.ofDays(1)).init(List.of(), List.of("a"), false);
  }

  @BeforeEach
  void startController() throws Exception {
    vertx = Vertx.vertx();
    linkPort = FreePorts.next();
    controller = await(ControllerDaemon.start(vertx, config(false), NANO_CLOCK));
  }

  @AfterEach
  void stop() throws Exception {
    for (LinkClient client : clients) {
      await(client.close());
    }
    if (controller != null) {
      await(controller.close());
    }
    await(vertx.close());
  }

  @Test
  void agentConnectsReportsAndReceivesGoalsWithLeases() throws Exception {
    TestAgent agent = new TestAgent("a");
    LinkClient client = client(agent, tlsFor(certs, "a"));
    waitFor("agent a connected with a Status", () -> client.connected()
        && controller.directory().node("a").map(n -> n.connected() && n.status().getSeq() > 0).orElse(false));

    NodeView view = controller.directory().node("a").orElseThrow();
    assertEquals("10.0.0.5", view.hello().getHost());
    assertEquals(NodeState.STREAMING_STANDBY, view.status().getState());
    assertEquals(3, view.status().getTimeline());

    JsonArray nodes = new JsonArray(cli("nodes", "--controller", apiUrl(), "--cacert", certs.resolve("ca.pem").toString(), "--cert", certs.resolve("operator-ops.pem").toString(), "--output", "json"));
    assertEquals(1, nodes.size());
    JsonObject node = nodes.getJsonObject(0);
    assertEquals("a", node.getString("node_id"));
    assertTrue(node.getBoolean("connected"));
    assertEquals("15.18", node.getJsonObject("hello").getString("pg_version"));
    assertEquals(4096, Long.parseLong(String.valueOf(node.getJsonObject("status").getValue("replay_lag_bytes"))));
    String text = cli("nodes", "--controller", apiUrl(), "--cacert", certs.resolve("ca.pem").toString(), "--cert", certs.resolve("operator-ops.pem").toString());
    assertTrue(text.lines().anyMatch(l -> l.startsWith("a ") && l.contains("10.0.0.5:5432") && l.contains("STREAMING_STANDBY")
        && l.contains("15.18") && l.contains("4.0 KiB")), text);

    // a status query answered over the link
    Status now = await(controller.directory().statusNow("a", Duration.ofSeconds(5)));
    assertTrue(now.getSeq() > 0);

    // a standby goal reaches the agent, without a lease
    cli("node", "goal", "a", "STREAMING_STANDBY", "--upstream", "10.0.0.9:5433", "--upstream-user", "replicator", "--controller", apiUrl(), "--cacert", certs.resolve("ca.pem").toString(), "--cert", certs.resolve("operator-ops.pem").toString());
    TestAgent.Received standby = agent.next(WAIT.toMillis());
    assertEquals(NodeState.STREAMING_STANDBY, standby.goal().getState());
    assertEquals(1, standby.goal().getGeneration());
    assertEquals("10.0.0.9", standby.goal().getUpstream().getHost());
    assertEquals(5433, standby.goal().getUpstream().getPort());
    assertEquals("replicator", standby.goal().getUpstream().getUser());
    assertTrue(standby.leaseExpiresAtNanos().isEmpty());

    // PRIMARY: the lease is renewed with every Status and its expiry moves forward on both sides
    cli("node", "goal", "a", "PRIMARY", "--controller", apiUrl(), "--cacert", certs.resolve("ca.pem").toString(), "--cert", certs.resolve("operator-ops.pem").toString());
    TestAgent.Received first = nextWithLease(agent);
    assertEquals(NodeState.PRIMARY, first.goal().getState());
    assertEquals(2, first.goal().getGeneration());
    Instant controllerFirst = controller.directory().node("a").orElseThrow().leaseExpiresAt().orElseThrow();
    assertLeaseNotLaterThanController(first, controllerFirst);

    // controllerFirst may already count a renewal the agent has not received yet: wait for one beyond it
    TestAgent.Received later = nextWithLease(agent);
    Instant controllerLater = controller.directory().node("a").orElseThrow().leaseExpiresAt().orElseThrow();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (later.leaseExpiresAtNanos().getAsLong() <= first.leaseExpiresAtNanos().getAsLong()
        || !controllerLater.isAfter(controllerFirst)) {
      assertTrue(System.nanoTime() < deadline, "the lease was not renewed within 10 s: " + controllerLater);
      later = nextWithLease(agent);
      controllerLater = controller.directory().node("a").orElseThrow().leaseExpiresAt().orElseThrow();
    }
    assertLeaseNotLaterThanController(later, controllerLater);
    assertEquals(2, later.goal().getGeneration());

    // the same goal again is a no-op: the generation stays
    assertEquals(2, controller.directory().assign("a", first.goal().toBuilder().clearGeneration().build()).getGeneration());

    String metrics = metricsGet("/metrics");
    assertTrue(metrics.contains("pgferry_agents_connected 1.0"), metrics);
    assertTrue(metrics.contains("pgferry_node_replay_lag_bytes{node=\"a\"} 4096.0"), metrics);
    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("pgferry_lease_remaining_seconds{node=\"a\"}") && !l.endsWith(" 0.0")), metrics);
    assertTrue(metrics.contains("pgferry_node_last_seen_seconds{node=\"a\"}"), metrics);
  }

  @Test
  void restartedControllerResendsThePersistedGoal() throws Exception {
    TestAgent agent = new TestAgent("b");
    client(agent, tlsFor(certs, "b"));
    waitFor("agent b connected", () -> controller.directory().node("b").map(NodeView::connected).orElse(false));
    cli("node", "goal", "b", "STOPPED", "--controller", apiUrl(), "--cacert", certs.resolve("ca.pem").toString(), "--cert", certs.resolve("operator-ops.pem").toString());
    assertEquals(1, agent.next(WAIT.toMillis()).goal().getGeneration());
    Path goals = stateDir.resolve("goals.json");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(goals)));

    await(controller.close());
    controller = await(ControllerDaemon.start(vertx, config(false), NANO_CLOCK));
    // the agent's Hello holds no goal (generation 0), so what arrives comes from the controller's state file
    TestAgent.Received again = agent.next(WAIT.toMillis());
    assertEquals(NodeState.STOPPED, again.goal().getState());
    assertEquals(1, again.goal().getGeneration());
    assertTrue(agent.linkUps >= 2, "the agent reconnected");
  }

  /**
   * A restarted controller knows where each node's PostgreSQL listens before its agent redials (nodes.json), so a
   * resumed journey's steps can reach the databases at once (AutoResume); the view says the agent is not connected.
   */
  @Test
  void restartedControllerKnowsWhereANodeListensBeforeItsAgentRedials() throws Exception {
    TestAgent agent = new TestAgent("b");
    LinkClient client = client(agent, tlsFor(certs, "b"));
    waitFor("agent b connected", () -> controller.directory().node("b").map(NodeView::connected).orElse(false));
    controller.directory().assign("b", Goal.newBuilder().setState(NodeState.STOPPED).build());
    Path nodes = stateDir.resolve("nodes.json");
    waitFor("nodes.json written with b's bootstrap superuser", () -> {
      try {
        return Files.exists(nodes) && Files.readString(nodes).contains("\"bootstrap_superuser\" : \"postgres\"");
      } catch (IOException e) {
        return false; // replaced while read
      }
    });
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(nodes)));
    await(client.close());
    clients.remove(client);
    await(controller.close());

    controller = await(ControllerDaemon.start(vertx, config(false), NANO_CLOCK));
    NodeView b = controller.directory().node("b").orElseThrow();
    assertFalse(b.connected());
    assertEquals("10.0.0.5", b.hello().getHost());
    assertEquals(5432, b.hello().getPgPort());
    assertEquals(0, b.hello().getCurrentGoal().getGeneration(), "what the agent held then is not kept");
    assertEquals("postgres", b.status().getBootstrapSuperuser(), "the role the controller's certificate logs in as");
    assertTrue(controller.directory().addressesKnown());
  }

  @Test
  void agentWithCertificateOfAnotherNodeIsRefused() throws Exception {
    ControllerMessage answer = await(rawConnect(tlsOptions(certs, "agent-b"), "a"));
    assertTrue(answer.hasRefusal(), answer.toString());
    assertTrue(answer.getRefusal().getReason().contains("agent-b"), answer.getRefusal().getReason());
    assertFalse(controller.directory().node("a").map(NodeView::connected).orElse(false));
  }

  @Test
  void linkClientRefusedLogsTheReasonOnceAndKeepsRetrying() throws Exception {
    List<String> logged = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        logged.add(record.getLoggerName() + ": " + record.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("io.pgferry");
    root.addHandler(capture);
    try {
      TestAgent impostor = new TestAgent("a");
      client(impostor, tlsFor(certs, "b"));
      waitFor("three refusals by the controller", () -> logged.stream()
          .filter(l -> l.startsWith(AgentSession.class.getName()) && l.contains("does not match the client certificate")).count() >= 3);
      List<String> clientLines = logged.stream().filter(l -> l.startsWith(LinkClient.class.getName())).toList();
      assertEquals(1, clientLines.stream().filter(l -> l.contains("controller refused the link: node id 'a' does not match the client certificate: its CN is agent-b")).count(),
          clientLines.toString());
      assertEquals(0, impostor.linkUps, "a refused link never counts as connected");
      assertTrue(impostor.assignments.isEmpty());
    } finally {
      root.removeHandler(capture);
    }
  }

  @Test
  void agentWithoutClientCertificateIsRefused() {
    HttpClientOptions noCert = new HttpClientOptions().setSsl(true).setUseAlpn(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(certs.resolve("ca.pem").toString()));
    refused(rawConnect(noCert, "a"));
    assertFalse(controller.directory().node("a").map(NodeView::connected).orElse(false));
  }

  @Test
  void agentSignedByAnotherCaIsRefused() {
    HttpClientOptions foreign = new HttpClientOptions().setSsl(true).setUseAlpn(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(certs.resolve("ca.pem").toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(otherCerts.resolve("agent-a.pem").toString())
            .setKeyPath(otherCerts.resolve("agent-a.key").toString()));
    refused(rawConnect(foreign, "a"));
    assertFalse(controller.directory().node("a").map(NodeView::connected).orElse(false));
  }

  @Test
  void plaintextAgentAgainstTlsControllerIsRefused() {
    refused(rawConnect(new HttpClientOptions().setHttp2ClearTextUpgrade(false), "a"));
    assertFalse(controller.directory().node("a").map(NodeView::connected).orElse(false));
  }

  @Test
  void insecureControllerAcceptsPlaintextAgentWhenConfigSaysSo() throws Exception {
    await(controller.close());
    controller = await(ControllerDaemon.start(vertx, config(true)));
    TestAgent agent = new TestAgent("c");
    LinkClient client = new LinkClient(vertx, LinkSettings.insecure("127.0.0.1", linkPort).withBackoff(FAST)
        .withStatusInterval(Duration.ofMillis(200)), agent);
    clients.add(client);
    await(client.start());
    waitFor("plaintext agent c connected", () -> controller.directory().node("c").map(n -> n.connected() && n.status().getSeq() > 0).orElse(false));
  }

  // --- helpers

  /** The stream fails before the controller says anything: the TLS layer refused the client. */
  private static void refused(Future<ControllerMessage> attempt) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(attempt));
    System.out.println("refused as expected: " + e.getCause());
  }

  /**
   * The controller runs on {@link #NANO_CLOCK}, so both expiries are on the same System.nanoTime() scale and compare
   * exactly. The agent counts from when it sent the Status, the controller from when it received it.
   */
  private static void assertLeaseNotLaterThanController(TestAgent.Received received, Instant controllerExpiry) {
    long agentExpiry = received.leaseExpiresAtNanos().getAsLong();
    long controllerExpiryNanos = Duration.between(Instant.EPOCH, controllerExpiry).toNanos();
    assertTrue(agentExpiry <= controllerExpiryNanos, "agent lease ends at " + agentExpiry + " ns, after the controller's " + controllerExpiryNanos);
    assertTrue(agentExpiry <= received.receivedNanos() + TimeUnit.MILLISECONDS.toNanos(3000), "lease counted from before the assignment arrived");
  }

  /** Instants whose epoch offset is System.nanoTime(). */
  static final Clock NANO_CLOCK = new Clock() {
    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochSecond(0, System.nanoTime());
    }
  };

  private static TestAgent.Received nextWithLease(TestAgent agent) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      TestAgent.Received r = agent.next(WAIT.toMillis());
      if (r.leaseExpiresAtNanos().isPresent()) {
        return r;
      }
    }
    throw new AssertionError("no assignment with a lease");
  }

  private ControllerConfig config(boolean insecure) {
    String tls = insecure ? "insecure: true\n" : "tls: {ca: " + certs.resolve("ca.pem") + ", cert: " + certs.resolve("controller.pem")
        + ", key: " + certs.resolve("controller.key") + "}\n";
    return ControllerConfig.parse("test.yaml", "listen: {host: 127.0.0.1, port: " + linkPort + "}\n" + tls
        + "http: {host: 127.0.0.1, port: 0}\nmetrics: {host: 127.0.0.1, port: 0}\nstate_dir: " + stateDir + "\nlease_ms: 3000\n");
  }

  private LinkClient client(TestAgent agent, Tls tls) throws Exception {
    LinkSettings settings = LinkSettings.mutualTls("localhost", linkPort, tls).withBackoff(FAST).withStatusInterval(Duration.ofMillis(200));
    LinkClient client = new LinkClient(vertx, settings, agent);
    clients.add(client);
    await(client.start());
    return client;
  }

  private static Tls tlsFor(Path dir, String nodeId) {
    return new Tls(dir.resolve("ca.pem"), dir.resolve("agent-" + nodeId + ".pem"), dir.resolve("agent-" + nodeId + ".key"));
  }

  private static HttpClientOptions tlsOptions(Path dir, String name) {
    return new Tls(dir.resolve("ca.pem"), dir.resolve(name + ".pem"), dir.resolve(name + ".key")).applyTo(new HttpClientOptions());
  }

  /** Opens a Connect stream by hand, sends Hello, and yields the controller's first message (or the failure). */
  private Future<ControllerMessage> rawConnect(HttpClientOptions options, String nodeId) {
    GrpcClient grpc = GrpcClient.client(vertx, options);
    Promise<ControllerMessage> first = Promise.promise();
    grpc.request(SocketAddress.inetSocketAddress(linkPort, "localhost"), AgentLinkGrpcClient.Connect).onFailure(first::tryFail)
        .onSuccess(request -> {
          request.write(AgentMessage.newBuilder().setHello(new TestAgent(nodeId).hello()).build());
          request.response().onFailure(first::tryFail).onSuccess(response -> {
            response.handler(first::tryComplete);
            response.exceptionHandler(first::tryFail);
            response.endHandler(v -> first.tryFail("ended with " + response.status()));
          });
          request.exceptionHandler(first::tryFail);
        });
    return first.future().andThen(ar -> grpc.close());
  }

  /** With tls in controller.yaml the API is HTTPS and takes the operator certificate (operator-ops). */
  private String apiUrl() {
    return "https://127.0.0.1:" + controller.httpPort();
  }

  /** GET on the read-only /metrics and /health listener: plain HTTP, no credentials. */
  private String metricsGet(String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.metricsPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  /** Runs a pgferry command in this JVM and returns what it printed; fails the test on a non-zero exit. */
  static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = new CommandLine(new PgferryMain());
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    int exit = commandLine.execute(args);
    assertEquals(0, exit, "pgferry " + String.join(" ", args) + ": " + err);
    return out.toString();
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(20);
    }
  }
}
