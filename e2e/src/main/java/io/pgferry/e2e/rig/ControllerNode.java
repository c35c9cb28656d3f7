package io.pgferry.e2e.rig;

import io.pgferry.controller.cli.ApiCredentials;
import io.pgferry.testkit.Await;
import io.pgferry.testkit.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
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

  /** Starts (or starts again, after a kill) the process on the same config; waits for /health. */
  void launch(List<String> javaJarArgv) {
    if (alive()) {
      throw new IllegalStateException("controller " + index + " still runs (pid " + process.pid() + ")");
    }
    List<String> argv = new java.util.ArrayList<>(javaJarArgv);
    argv.addAll(List.of("controller", "run", "--config", config.toString()));
    process = new ManagedProcess(index == 1 ? "controller" : "controller-" + index, argv, log).start();
    Await.until("controller " + index + " to answer /health", Duration.ofSeconds(60), api::healthy, () -> process.logTail(20));
  }

  /** kill -9: a crash, nothing flushed or closed. */
  public void kill() {
    process.kill();
  }

  void close() {
    if (process != null) {
      process.close();
    }
  }
}
