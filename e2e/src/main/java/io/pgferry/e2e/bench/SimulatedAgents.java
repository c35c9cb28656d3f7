package io.pgferry.e2e.bench;

import io.pgferry.agent.link.LinkClient;
import io.pgferry.agent.link.LinkHandler;
import io.pgferry.agent.link.LinkSettings;
import io.pgferry.common.Tls;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Many agents' links in one JVM: the real LinkClient over mTLS, each sending a Status every second, so the
 * controller's cost per agent can be measured without 200 PostgreSQL clusters.
 */
final class SimulatedAgents implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final List<LinkClient> links = new ArrayList<>();

  SimulatedAgents(int count, String host, int port, Path certs, String idPrefix) {
    for (int i = 0; i < count; i++) {
      String id = idPrefix + i;
      Tls tls = new Tls(certs.resolve("ca.pem"), certs.resolve("agent-" + id + ".pem"), certs.resolve("agent-" + id + ".key"));
      links.add(new LinkClient(vertx, LinkSettings.mutualTls(host, port, tls), new CannedNode(id)));
    }
  }

  void start() throws Exception {
    Future.all(links.stream().map(LinkClient::start).toList()).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  long connected() {
    return links.stream().filter(LinkClient::connected).count();
  }

  @Override
  public void close() {
    links.forEach(LinkClient::close);
    vertx.close();
  }

  private record CannedNode(String id) implements LinkHandler {
    @Override
    public Hello hello() {
      return Hello.newBuilder().setNodeId(id).setHost("127.0.0.1").setPgPort(5432).setPgMajor(15).setPgVersion("15.18")
          .setCurrentState(NodeState.STREAMING_STANDBY).build();
    }

    @Override
    public Status status() {
      return Status.newBuilder().setNodeId(id).setState(NodeState.STREAMING_STANDBY).setPgRunning(true).setPgReachable(true)
          .setInRecovery(true).setTimeline(1).setReplayLsn("0/3000000").setReceiveLsn("0/3000000").setPgMajor(15).build();
    }

    @Override
    public void onAssignment(Goal goal, OptionalLong leaseExpiresAtNanos) {}
  }
}
