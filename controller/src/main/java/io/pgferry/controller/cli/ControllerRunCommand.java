package io.pgferry.controller.cli;

import io.pgferry.common.Logging;
import io.pgferry.controller.daemon.ClassPreload;
import io.pgferry.controller.daemon.ControllerConfig;
import io.pgferry.controller.daemon.ControllerDaemon;
import io.pgferry.controller.daemon.WarmSpare;
import io.pgferry.controller.store.StateDirLock;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = {
        "Run the controller: accept agent links (gRPC over mutual TLS on listen.host:listen.port; plaintext only with "
            + "insecure: true), keep each node's latest status, send each node its goal, serve the /api the CLI uses "
            + "and the status page on http.host:http.port (HTTPS with tls:, for operator certificates or the bearer "
            + "token of http.token_file; with insecure: true plain HTTP on loopback only), and /metrics and /health "
            + "on metrics.host:metrics.port (read-only, no credentials). Both bind loopback by default.",
        "With the embedded store it holds state_dir/controller.lock while it runs: a second controller on the same "
            + "state dir is refused (exit 2), or, with --spare, waits warm and takes over the moment the first one ends "
            + "(a crash, kill -9, a stop), resuming its journey where the journal stands.",
        "Runs until stopped (SIGTERM/SIGINT)."})
public final class ControllerRunCommand implements Callable<Integer> {
  private static final Logger LOG = Logger.getLogger(ControllerRunCommand.class.getName());

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "controller.yaml")
  Path config;

  @Option(names = "--spare", description = "Embedded store: when another controller holds the state dir, wait warmed "
      + "up as its spare and take over the moment it ends, instead of exiting 2; when none does, run at once (docs/ha.md, "
      + "\"A warm spare\"). With store: etcd it changes nothing: every controller that does not lead is a spare already.")
  boolean spare;

  /** Held for the life of the process: an unreachable channel would be closed by its cleaner, and the lock with it. */
  private static StateDirLock held;

  @Override
  public Integer call() throws Exception {
    ControllerConfig settings = ControllerConfig.load(config);
    Logging.configure(settings.log().json(), settings.log().julLevel());
    if (ClassPreload.wanted()) {
      ClassPreload.run();
    }
    if (spare && settings.store().etcd()) {
      LOG.info("--spare changes nothing with store: etcd: every controller that does not lead is a spare already");
    }
    Vertx vertx = Vertx.vertx();
    if (!settings.store().etcd()) {
      try {
        held = spare ? WarmSpare.awaitTurn(vertx, settings) : StateDirLock.take(settings.stateDir());
      } catch (Exception e) {
        vertx.close();
        throw e;
      }
    }
    ControllerDaemon daemon;
    try {
      daemon = daemon(vertx, settings);
    } catch (Exception e) {
      vertx.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping");
      try {
        daemon.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warning("shutdown: " + e);
      }
      stopped.countDown();
    }));
    stopped.await();
    return 0;
  }

  private static ControllerDaemon daemon(Vertx vertx, ControllerConfig settings) throws Exception {
    try {
      return ControllerDaemon.start(vertx, settings).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
