package io.pgferry.controller.daemon;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgferry.common.Tls;
import io.pgferry.controller.failover.FailoverMonitor;
import io.pgferry.controller.journey.JourneyMetrics;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.link.LinkDirectory;
import io.pgferry.controller.link.LinkServer;
import io.pgferry.controller.standby.AddStandby;
import io.pgferry.controller.standby.SyncWatch;
import io.pgferry.controller.web.ApiAccess;
import io.pgferry.controller.web.ControllerHttp;
import io.pgferry.controller.web.StandbyApi;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.logging.Logger;

/** The running controller: the agent link server, the node directory behind it, the journey, and the HTTP side. */
public final class ControllerDaemon {
  private final LinkDirectory directory;
  private final LinkServer link;
  private final HttpServer http;
  private final HttpServer metricsHttp;
  private final JourneyService journey;
  private final FailoverMonitor failover;
  private final SyncWatch standbySync;

  private ControllerDaemon(LinkDirectory directory, LinkServer link, HttpServer http, HttpServer metricsHttp,
                           JourneyService journey, SyncWatch standbySync, Clock clock) {
    this.directory = directory;
    this.standbySync = standbySync.resume();
    this.link = link;
    this.http = http;
    this.metricsHttp = metricsHttp;
    this.journey = journey;
    this.failover = new FailoverMonitor(journey, directory, clock,
        Duration.ofMillis(250)).start();
    AutoResume.start(journey, directory, AUTO_RESUME_RECONNECT);
  }

  /** How long an automatic resume waits for the agents holding goals to reconnect before it goes on anyway. */
  static final Duration AUTO_RESUME_RECONNECT = Duration.ofSeconds(15);

  /** Loads the persisted goals, then listens on the link and HTTP ports. Bad config fails the future with a UsageException. */
  public static Future<ControllerDaemon> start(Vertx vertx, ControllerConfig config) {
    return start(vertx, config, Clock.systemUTC());
  }

  /** With the clock that stamps last-seen times and lease expiries (tests use a nanoTime-based one). */
  public static Future<ControllerDaemon> start(Vertx vertx, ControllerConfig config, Clock clock) {
    return vertx.executeBlocking(() -> {
      Tls tls = config.linkTls();
      ApiAccess access = new ApiAccess(tls, config.apiToken());
      LinkDirectory directory = LinkDirectory.open(vertx, config.stateDir(), config.lease(), clock, tls != null);
      JourneyService journey = new JourneyService(config.stateDir(), directory, JourneySteps.with(JourneyWiring.live(config.stateDir())), clock);
      return new Loaded(tls, access, directory, journey, new SyncWatch(journey, directory, clock, Duration.ofMillis(250)));
    }).compose(loaded -> {
      Tls tls = loaded.tls();
      LinkDirectory directory = loaded.directory();
      JourneyService journey = loaded.journey();
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      JourneyMetrics.bind(registry, journey);
      ControllerHttp web = new ControllerHttp(vertx, directory, registry, clock, journey)
          .mount(router -> new StandbyApi(vertx, new AddStandby(journey, directory, loaded.standbySync())).mount(router));
      return LinkServer.start(vertx, config.listen().host(), config.listen().port(), tls, directory)
          .compose(link -> web.listen(config.http().host(), config.http().port(), loaded.access())
              .compose(http -> web.listenMetrics(config.metrics().host(), config.metrics().port())
                  .onFailure(e -> http.close())
                  .map(metricsHttp -> new ControllerDaemon(directory, link, http, metricsHttp, journey, loaded.standbySync(), clock)))
              .onFailure(e -> link.close()));
    });
  }

  private record Loaded(Tls tls, ApiAccess access, LinkDirectory directory, JourneyService journey, SyncWatch standbySync) {}

  public LinkDirectory directory() {
    return directory;
  }

  public int linkPort() {
    return link.port();
  }

  public int httpPort() {
    return http.actualPort();
  }

  /** The read-only /metrics and /health listener. */
  public int metricsPort() {
    return metricsHttp.actualPort();
  }

  public JourneyService journey() {
    return journey;
  }

  public Future<Void> close() {
    failover.close();
    standbySync.close();
    try {
      journey.close();
    } catch (IOException e) {
      Logger.getLogger(ControllerDaemon.class.getName()).warning("closing the journey: " + e.getMessage());
    }
    return Future.join(link.close(), http.close(), metricsHttp.close()).mapEmpty();
  }
}
