package io.pgferry.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real etcd cluster (Debian's etcd-server, /usr/bin/etcd) of {@code size} members on loopback ports, each with its
 * own temporary data dir and log (data dir/etcd.log). {@link #close} kills the members and removes the dirs.
 */
public final class EtcdCluster implements AutoCloseable {
  private static final Path ETCD = Path.of(System.getenv().getOrDefault("PGFERRY_ETCD", "/usr/bin/etcd"));

  private final Path root;
  private final List<Integer> clientPorts = new ArrayList<>();
  private final List<Process> members = new ArrayList<>();

  private EtcdCluster(Path root) {
    this.root = root;
  }

  /** Starts {@code size} members and waits until each reports healthy (a leader elected). */
  public static EtcdCluster start(int size) throws IOException, InterruptedException {
    if (!Files.isExecutable(ETCD)) {
      throw new IllegalStateException(ETCD + " not found: install Debian's etcd-server (scripts/install-deps)");
    }
    EtcdCluster c = new EtcdCluster(Files.createTempDirectory("pgferry-etcd"));
    List<Integer> peerPorts = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      c.clientPorts.add(FreePorts.next());
      peerPorts.add(FreePorts.next());
    }
    String initial = IntStream.range(0, size).mapToObj(i -> "m" + i + "=http://127.0.0.1:" + peerPorts.get(i))
        .collect(Collectors.joining(","));
    try {
      for (int i = 0; i < size; i++) {
        Path dir = Files.createDirectories(c.root.resolve("m" + i));
        String client = "http://127.0.0.1:" + c.clientPorts.get(i);
        String peer = "http://127.0.0.1:" + peerPorts.get(i);
        c.members.add(new ProcessBuilder(ETCD.toString(), "--name", "m" + i, "--data-dir", dir.resolve("data").toString(),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", c.root.getFileName().toString(),
            "--heartbeat-interval", "100", "--election-timeout", "1000")
            .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start());
      }
      c.awaitHealthy(Duration.ofSeconds(30));
      return c;
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** host:port of each member's client URL. */
  public List<String> endpoints() {
    return clientPorts.stream().map(p -> "127.0.0.1:" + p).toList();
  }

  /** The members' process ids (what ./demo --keep leaves running). */
  public List<Long> pids() {
    return members.stream().filter(Process::isAlive).map(Process::pid).toList();
  }

  public int clientPort(int member) {
    return clientPorts.get(member);
  }

  private void awaitHealthy(Duration budget) throws InterruptedException, IOException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + budget.toNanos();
    for (int port : clientPorts) {
      while (true) {
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
              .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200 && r.body().contains("\"true\"")) {
            break;
          }
        } catch (IOException e) {
          // not listening yet
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("etcd member on port " + port + " not healthy within " + budget + "; see " + root + "/m*/etcd.log");
        }
        Thread.sleep(100);
      }
    }
  }

  @Override
  public void close() throws InterruptedException, IOException {
    for (Process p : members) {
      p.destroyForcibly();
    }
    for (Process p : members) {
      p.waitFor(10, TimeUnit.SECONDS);
    }
    try (var files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
