package io.pgferry.e2e.rig;

import io.pgferry.controller.cli.ApiCredentials;
import io.pgferry.testkit.Await;
import io.pgferry.testkit.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One controller process of the rig: its ports (agent link, HTTPS API, read-only metrics), its controller.yaml, its
 * log and its API client. The rig runs one (embedded store) or several on one etcd cluster ({@link EtcdControlPlane}).
 */
public final class ControllerNode {
  private final int index;
  private final int linkPort = FreePorts.next();
  private final int httpPort = FreePorts.next();
  private final int metricsPort = FreePorts.next();
  private final Path log;
  private final ControllerApi api;
  private Path config;
  private ManagedProcess process;
  /** With {@link #withSpare}: the warm spare waiting on the state dir's lock (same config, same log). */
  private ManagedProcess spare;
  private boolean withSpare;

  ControllerNode(int index, Path logs, ApiCredentials credentials) {
    this.index = index;
    // the first controller's log keeps the name of a one-controller install (logs/controller.log)
    this.log = logs.resolve(index == 1 ? "controller.log" : "controller-" + index + ".log");
    this.api = new ControllerApi(url(), credentials);
  }

  /** 1, 2, 3: the controller's number in the rig (its log is controller-N.log; the first's controller.log). */
  public int index() {
    return index;
  }

  public int linkPort() {
    return linkPort;
  }

  public int httpPort() {
    return httpPort;
  }

  public int metricsPort() {
    return metricsPort;
  }

  /** The address the controller advertises in the etcd leader key (its http host:port). */
  public String advertised() {
    return "127.0.0.1:" + httpPort;
  }

  public String url() {
    return "https://127.0.0.1:" + httpPort;
  }

  public ControllerApi api() {
    return api;
  }

  public Path log() {
    return log;
  }

  public ManagedProcess process() {
    return process;
  }

  public boolean alive() {
    return process != null && process.alive();
  }

  void config(Path controllerYaml) {
    this.config = controllerYaml;
  }

  /** Runs a warm spare beside this controller (`controller run --spare`, embedded store); set before the first launch. */
  void withSpare() {
    this.withSpare = true;
  }

  /** The spare waiting to take over, if any. */
  public ManagedProcess spare() {
    return spare;
  }

  /**
   * Starts (or starts again, after a kill) the process on the same config; waits for /health. With a spare: also
   * starts the spare; after a kill, when the spare took over, this start is the next spare.
   */
  void launch(List<String> javaJarArgv) {
    if (withSpare && alive() && spare == null) {
      launchSpare(javaJarArgv);
      return;
    }
    if (alive()) {
      throw new IllegalStateException("controller " + index + " still runs (pid " + process.pid() + ")");
    }
    List<String> argv = new ArrayList<>(javaJarArgv);
    argv.addAll(List.of("controller", "run", "--config", config.toString()));
    process = new ManagedProcess(index == 1 ? "controller" : "controller-" + index, argv, log).start();
    Await.until("controller " + index + " to answer /health", Duration.ofSeconds(60), api::healthy, () -> process.logTail(20));
    if (withSpare) {
      launchSpare(javaJarArgv);
    }
  }

  /** The spare logs to the same file: until it takes over it writes a few "spare:" lines. */
  private void launchSpare(List<String> javaJarArgv) {
    List<String> argv = new ArrayList<>(javaJarArgv);
    argv.addAll(List.of("controller", "run", "--config", config.toString(), "--spare"));
    long waitingBefore = linesWith(SPARE_WAITING);
    spare = new ManagedProcess("controller-" + index + "-spare", argv, log).start();
    Await.until("controller " + index + "'s spare to wait for the state dir's lock", Duration.ofSeconds(60),
        () -> linesWith(SPARE_WAITING) > waitingBefore || !spare.alive(), () -> spare.logTail(20));
    if (!spare.alive()) {
      throw new IllegalStateException("controller " + index + "'s spare ended: " + spare.logTail(20));
    }
  }

  /** What a spare logs once it waits for the lock (controller/daemon/WarmSpare). */
  private static final String SPARE_WAITING = "spare: another controller holds state_dir";

  private long linesWith(String text) {
    try (var lines = Files.lines(log)) {
      return lines.filter(l -> l.contains(text)).count();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  /** kill -9: a crash, nothing flushed or closed. A spare, if there is one, takes over (it is the process from now on). */
  public void kill() {
    process.kill();
    if (spare != null) {
      process = spare;
      spare = null;
    }
  }

  void close() {
    if (spare != null) {
      spare.close();
    }
    if (process != null) {
      process.close();
    }
  }
}
