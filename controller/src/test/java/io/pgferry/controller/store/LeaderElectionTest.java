package io.pgferry.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.link.LinkClient;
import io.pgferry.agent.link.LinkHandler;
import io.pgferry.agent.link.LinkSettings;
import io.pgferry.controller.daemon.ControllerConfig;
import io.pgferry.controller.daemon.ControllerDaemon;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.pgferry.testkit.EtcdCluster;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.TcpProxy;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two controller daemons on one real 3-member etcd (store: etcd, lease_ttl 3s): one leads, the other serves reads and
 * refuses writes naming the leader; the leader cut from etcd (its etcd links black-holed) stops leading before the
 * other takes the lead, which it does within the ttl plus one cycle, and an agent dialing both follows it; a leader
 * that stops hands over at once.
 */
class LeaderElectionTest {
  private static final Duration TTL = Duration.ofSeconds(3);

  @TempDir
  Path dir;
  private Vertx vertx;
  private EtcdCluster etcd;
  private final List<TcpProxy> proxies = new ArrayList<>();
  private final List<ControllerDaemon> daemons = new ArrayList<>();
  private final List<Integer> linkPorts = new ArrayList<>();
  private LinkClient agent;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    etcd = EtcdCluster.start(3);
  }

  @AfterEach
  void stop() throws Exception {
    if (agent != null) {
      agent.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    for (ControllerDaemon d : daemons) {
      d.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    for (TcpProxy p : proxies) {
      p.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    etcd.close();
  }

  /** A controller whose etcd endpoints go through proxies the test can black-hole. */
  private ControllerDaemon controller(String name, List<TcpProxy> viaProxies) throws Exception {
    for (int i = 0; i < 3; i++) {
      viaProxies.add(TcpProxy.start("127.0.0.1", etcd.clientPort(i)));
    }
    proxies.addAll(viaProxies);
    int linkPort = FreePorts.next();
    linkPorts.add(linkPort);
    String endpoints = String.join(", ", viaProxies.stream().map(p -> "127.0.0.1:" + p.port()).toList());
    ControllerConfig config = ControllerConfig.parse(name + ".yaml", """
        insecure: true
        listen: {host: 127.0.0.1, port: %d}
        http: {host: 127.0.0.1, port: 0}
        metrics: {host: 127.0.0.1, port: 0}
        state_dir: %s
        store: {kind: etcd, endpoints: [%s], prefix: /pgferry/t, lease_ttl: 3s}
        """.formatted(linkPort, dir.resolve(name), endpoints));
    ControllerDaemon d = ControllerDaemon.start(vertx, config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    daemons.add(d);
    return d;
  }

  private static JsonObject controlPlane(HttpClient http, ControllerDaemon d) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.httpPort() + "/api/control-plane"))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      return new JsonObject(r.body());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static long awaitMillis(BooleanSupplier condition, Duration budget) throws InterruptedException {
    long start = System.nanoTime();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - start > budget.toNanos()) {
        throw new AssertionError("not within " + budget);
      }
      Thread.sleep(5);
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  void oneLeadsTheOtherFollowsAndAPartitionedLeaderStopsBeforeTheNextLeads() throws Exception {
    List<TcpProxy> firstLinks = new ArrayList<>();
    ControllerDaemon first = controller("c1", firstLinks);
    awaitMillis(() -> first.leadership().leading(), Duration.ofSeconds(5));
    ControllerDaemon second = controller("c2", new ArrayList<>());
    awaitMillis(() -> second.leadership().leader().isPresent(), Duration.ofSeconds(5));
    assertFalse(second.leadership().leading());
    String firstAddress = "127.0.0.1:" + first.httpPort();
    assertEquals(firstAddress, second.leadership().leader().orElseThrow());
    awaitMillis(() -> first.linkPort() > 0, Duration.ofSeconds(5)); // the leader listens on the agent link
    assertEquals(-1, second.linkPort(), "a follower does not");

    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + second.httpPort()
        + "/api/journey/resume")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(503, refused.statusCode(), refused.body());
    assertEquals(firstAddress, new JsonObject(refused.body()).getString("leader"));
    HttpResponse<String> read = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + second.httpPort()
        + "/api/nodes")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, read.statusCode(), "a follower serves reads");

    // an agent given both controllers' link addresses connects to the leader
    agent = new LinkClient(vertx, linkPorts.stream().map(p -> LinkSettings.insecure("127.0.0.1", p)).toList(), new LinkHandler() {
      @Override
      public Hello hello() {
        return Hello.newBuilder().setNodeId("a").setHost("10.0.0.5").setPgPort(5432).setPgMajor(15).build();
      }

      @Override
      public Status status() {
        return Status.newBuilder().setState(NodeState.STREAMING_STANDBY).build();
      }

      @Override
      public void onAssignment(Goal goal, OptionalLong leaseExpiresAtNanos) {}
    });
    agent.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    awaitMillis(() -> first.directory().node("a").map(n -> n.connected()).orElse(false), Duration.ofSeconds(10));

    // the leader writes goals; then it is cut from etcd
    Goal primary = Goal.newBuilder().setState(NodeState.PRIMARY).build();
    first.directory().assign("a", primary);
    int link = first.linkPort();
    firstLinks.forEach(TcpProxy::blackhole);
    long cut = System.nanoTime();
    long[] deposedAt = {0};
    long[] electedAt = {0};
    awaitMillis(() -> {
      long now = System.nanoTime();
      if (deposedAt[0] == 0 && !first.leadership().leading()) {
        deposedAt[0] = now;
      }
      if (electedAt[0] == 0 && second.leadership().leading()) {
        electedAt[0] = now;
      }
      return deposedAt[0] != 0 && electedAt[0] != 0;
    }, TTL.multipliedBy(3));
    long deposedMs = (deposedAt[0] - cut) / 1_000_000;
    long electedMs = (electedAt[0] - cut) / 1_000_000;
    System.out.println("etcd partition of the leader: it stopped leading " + deposedMs + " ms after the cut, the other"
        + " led " + electedMs + " ms after it");
    assertTrue(deposedAt[0] < electedAt[0], "the old leader stopped (" + deposedMs + " ms after the cut) before the new"
        + " one led (" + electedMs + " ms)");
    assertTrue(deposedMs <= TTL.toMillis() * 2 / 3 + 200, "the old leader stops within 2/3 of the ttl: " + deposedMs + " ms");
    assertTrue(electedMs <= TTL.toMillis() + TTL.toMillis() / 3 + 1500,
        "the new leader leads within the ttl plus one cycle (+ etcd's own lease check): " + electedMs + " ms");
    assertEquals(-1, first.linkPort(), "the deposed leader closed the agent link");
    assertThrows(Exception.class, () -> new Socket("127.0.0.1", link).close(), "nothing listens on its link port");
    awaitMillis(() -> second.linkPort() > 0, Duration.ofSeconds(5));
    long agentMoved = awaitMillis(() -> second.directory().node("a").map(n -> n.connected()).orElse(false), Duration.ofSeconds(10));
    System.out.println("the agent reached the new leader " + agentMoved + " ms after it led");
    assertEquals(Map.of("a", primary.toBuilder().setGeneration(1).build()),
        Map.of("a", second.directory().node("a").orElseThrow().goal()), "the new leader took the goals from etcd");

    // the old leader, back in touch with etcd, follows and can write nothing
    firstLinks.forEach(TcpProxy::restore);
    assertThrows(RuntimeException.class, () -> first.directory().assign("b", primary));
    awaitMillis(() -> first.leadership().leader().map(a -> a.equals("127.0.0.1:" + second.httpPort())).orElse(false),
        Duration.ofSeconds(10));

    // #17 item 6: each saw one change of leader; the control plane as the leader shows it, and its metrics
    assertEquals(1, second.leadership().leaderChanges(), "the new leader saw the first's term, then its own");
    awaitMillis(() -> first.leadership().leaderChanges() == 1, Duration.ofSeconds(5));
    String secondAddress = "127.0.0.1:" + second.httpPort();
    awaitMillis(() -> controlPlane(http, second).getJsonArray("controllers").stream()
        .allMatch(c -> ((JsonObject) c).getBoolean("healthy")), Duration.ofSeconds(5));
    JsonObject cp = controlPlane(http, second);
    assertEquals("etcd", cp.getString("store"));
    assertTrue(cp.getBoolean("leading"));
    assertEquals(secondAddress, cp.getString("leader"));
    assertEquals(1, cp.getLong("leader_changes"));
    assertEquals(3, cp.getJsonObject("etcd").getInteger("healthy"), cp.encodePrettily());
    assertEquals(2, cp.getJsonArray("controllers").size(), cp.encodePrettily());
    assertTrue(cp.getJsonArray("controllers").stream().map(c -> (JsonObject) c)
        .anyMatch(c -> c.getString("address").equals(secondAddress) && c.getBoolean("leading")), cp.encodePrettily());
    assertEquals("a", cp.getJsonArray("primaries").getJsonObject(0).getString("node"), "a holds a PRIMARY goal");
    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + second.metricsPort() + "/metrics")).GET()
        .build(), HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(metrics.contains("pgferry_leader_changes_total 1.0"), metrics);
    assertTrue(metrics.contains("pgferry_leader 1.0"), metrics);

    // a leader that stops revokes its lease: the follower leads at once, not after the ttl
    ControllerDaemon leaving = daemons.remove(1);
    leaving.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    long handOver = awaitMillis(() -> first.leadership().leading(), TTL.multipliedBy(2));
    assertTrue(handOver <= TTL.toMillis() / 3 + 1000, "a clean stop hands over within a cycle: " + handOver + " ms");
  }
}
