package io.pgferry.agent.cli;

import io.pgferry.agent.NodeAgent;
import io.pgferry.agent.fence.LeasePolicy;
import io.pgferry.agent.link.LinkClient;
import io.pgferry.agent.link.LinkSettings;
import io.pgferry.agent.archive.replica.ArchiveExtension;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.config.GoalFile;
import io.pgferry.agent.metrics.AgentMetrics;
import io.pgferry.agent.metrics.HttpEndpoint;
import io.pgferry.common.Logging;
import io.pgferry.common.Tls;
import io.pgferry.common.UsageException;
import io.pgferry.proto.Goal;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the agent daemon: report status, converge the local PostgreSQL to its goal, serve /metrics and /health.")
public final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = Logger.getLogger(RunCommand.class.getName());

  @Option(names = "--config", required = true, description = "agent.yaml (see docs/contracts.md)")
  Path config;

  @Option(names = "--goal-file", paramLabel = "FILE",
      description = "Take the goal from this YAML/JSON file instead of a controller (state, upstream {host, port, user}); "
          + "re-read when it changes.")
  Path goalFile;

  @Override
  public Integer call() throws Exception {
    AgentConfig cfg = AgentConfig.load(config);
    Goal initialGoal = goalFile == null ? null : GoalFile.load(goalFile);
    Logging.configure(cfg.log().json(), cfg.log().julLevel());
    Vertx vertx = Vertx.vertx();
    ArchiveExtension archive = new ArchiveExtension(cfg);
    NodeAgent agent = new NodeAgent(cfg, NodeAgent.Options.defaults().withExtensions(ArchiveExtension.table(archive), archive.providers()));
    archive.attach(agent);
    int walFetchPort = archive.startWalFetchEndpoint(vertx).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).actualPort();

    LinkClient link = null;
    if (goalFile == null) {
      boolean insecure = cfg.controller().insecure();
      Tls tls = insecure ? null : cfg.tls().toTls();
      link = new LinkClient(vertx, cfg.controller().address().stream().map(a -> LinkSettings.parseAddress(a, tls, insecure)).toList(), agent);
      agent.onStatusChanged(link::statusChanged);
      LOG.info("goal source: controller at " + String.join(", ", cfg.controller().address()) + (insecure ? " (plaintext: insecure: true)" : " (mTLS)"));
    } else {
      LOG.info("goal source: " + goalFile + " (no controller link)");
    }
    if (goalFile == null) {
      agent.leasePolicy(LeasePolicy.CONTROLLED); // goals from the controller: PRIMARY needs a lease
    }
    agent.start();
    if (link != null) {
      link.start(); // dial first: the controller's lease renewal must not wait for the HTTP endpoint's start-up
    }
    AgentMetrics metrics = new AgentMetrics(agent);
    archive.registerMetrics(metrics.registry());
    HttpEndpoint http = new HttpEndpoint(vertx, agent, metrics);
    try {
      http.listen(cfg.http().host(), cfg.http().port()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (link != null) {
        link.close();
      }
      agent.close();
      vertx.close();
      throw new UsageException(config + ": http: cannot listen on " + cfg.http().host() + ":" + cfg.http().port() + ": "
          + e.getCause().getMessage() + "; pick another http.port");
    }
    LOG.info("serving /metrics and /health on " + cfg.http().host() + ":" + http.port() + ", wal-fetch on 127.0.0.1:" + walFetchPort);
    if (initialGoal != null) {
      agent.onAssignment(initialGoal, OptionalLong.empty());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread watcher = goalFile == null ? null : watchGoalFile(agent, stopped);
    LinkClient linkToClose = link;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopped.countDown();
      if (linkToClose != null) {
        linkToClose.close();
      }
      if (watcher != null) {
        watcher.interrupt();
      }
      agent.close();
      archive.close();
      http.close();
      vertx.close();
    }, "pgferry-agent-shutdown"));
    stopped.await();
    return 0;
  }

  /** Re-reads the goal file when its modification time changes; a broken edit is logged and skipped. */
  private Thread watchGoalFile(NodeAgent agent, CountDownLatch stopped) {
    Thread t = new Thread(() -> {
      FileTime seen = null;
      while (stopped.getCount() > 0) {
        try {
          FileTime now = Files.getLastModifiedTime(goalFile);
          if (seen != null && !now.equals(seen)) {
            agent.onAssignment(GoalFile.load(goalFile), OptionalLong.empty());
          }
          seen = now;
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          LOG.warning("goal file " + goalFile + ": " + e.getMessage());
          try {
            Thread.sleep(1000);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }, "pgferry-goal-file");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
