package io.pgferry.e2e.rig;

import io.pgferry.controller.store.EtcdClient;
import io.pgferry.testkit.EtcdCluster;
import io.pgferry.testkit.TcpProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rig's etcd side (docs/ha.md): a real 3-member etcd cluster ({@link EtcdCluster}) that {@code controllers}
 * controller processes share under one prefix. Each controller reaches the members through its own TCP proxies, so a
 * test can partition one controller from etcd ({@link #partition}) while the others and the rig still reach it. The
 * rig reads the leader key and the journal straight from etcd.
 */
public final class EtcdControlPlane implements AutoCloseable {
  public static final String PREFIX = "/pgferry/rig";

  /** The leader key as etcd holds it: the leader's advertised address, and the revision the key was created at. */
  public record Leader(String address, long createRevision) {}

  private final int controllers;
  private final Duration leaseTtl;
  private EtcdCluster cluster;
  private EtcdClient client;
  private final Map<Integer, List<TcpProxy>> proxies = new LinkedHashMap<>();
  /** Every leader term the rig saw (create_revision of the leader key), in order. */
  private final Set<Long> terms = new LinkedHashSet<>();

  public EtcdControlPlane(int controllers, Duration leaseTtl) {
    if (controllers < 1 || leaseTtl.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("at least one controller and a lease ttl of whole seconds");
    }
    this.controllers = controllers;
    this.leaseTtl = leaseTtl;
  }

  public int controllers() {
    return controllers;
  }

  public Duration leaseTtl() {
    return leaseTtl;
  }

  /** Starts the 3 etcd members and one proxy per member for each controller. */
  void start() {
    try {
      cluster = EtcdCluster.start(3);
      client = new EtcdClient(cluster.endpoints(), Duration.ofSeconds(2));
      for (int i = 1; i <= controllers; i++) {
        List<TcpProxy> mine = new ArrayList<>();
        for (int m = 0; m < 3; m++) {
          mine.add(TcpProxy.start("127.0.0.1", cluster.clientPort(m)));
        }
        proxies.put(i, mine);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted starting etcd", e);
    }
  }

  /** The etcd members' client addresses (host:port), as the rig reaches them. */
  public List<String> endpoints() {
    return cluster.endpoints();
  }

  /** The etcd members' process ids (what ./demo --keep leaves running). */
  public List<Long> pids() {
    return cluster == null ? List.of() : cluster.pids();
  }

  /** The endpoints controller {@code index} is configured with: its own proxies to the members. */
  List<String> endpointsOf(int index) {
    return proxies.get(index).stream().map(p -> p.host() + ":" + p.port()).toList();
  }

  /** controller.yaml's store section for controller {@code index}. */
  String storeYaml(int index) {
    return "store: {kind: etcd, prefix: " + PREFIX + ", lease_ttl: " + leaseTtl.toSeconds() + "s, endpoints: ["
        + String.join(", ", endpointsOf(index)) + "]}\n";
  }

  /** Black-holes every link of controller {@code index} to etcd (a network partition; its HTTP API stays reachable). */
  public void partition(int index) {
    proxies.get(index).forEach(TcpProxy::blackhole);
  }

  /** Ends {@link #partition}: the controller reaches etcd again (over new connections). */
  public void heal(int index) {
    proxies.get(index).forEach(TcpProxy::restore);
  }

  /** The leader key now (empty while no controller leads); each term seen is remembered for {@link #leaderChanges}. */
  public Optional<Leader> leader() {
    try {
      Optional<Leader> l = client.get(PREFIX + "/leader").map(kv -> new Leader(kv.value(), kv.createRevision()));
      l.ifPresent(x -> {
        synchronized (terms) {
          terms.add(x.createRevision());
        }
      });
      return l;
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** How many times the leader changed while the rig looked (terms seen minus the first). */
  public int leaderChanges() {
    synchronized (terms) {
      return Math.max(0, terms.size() - 1);
    }
  }

  /** The shared journal under {@link #PREFIX}. */
  public JournalFile journal() {
    return new JournalFile(client, PREFIX);
  }

  @Override
  public void close() {
    proxies.values().forEach(list -> list.forEach(TcpProxy::close));
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      try {
        cluster.close();
      } catch (IOException e) {
        // its temp dir stays
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
