package io.pgferry.controller.daemon;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgferry.common.Tls;
import io.pgferry.common.TlsWarmup;
import io.pgferry.controller.journey.JourneyMetrics;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.link.LinkDirectory;
import io.pgferry.controller.link.LinkServer;
import io.pgferry.controller.loop.ControllerLoop;
import io.pgferry.controller.standby.AddStandby;
import io.pgferry.controller.standby.SyncWatch;
import io.pgferry.controller.journey.ControllerStore;
import io.pgferry.controller.store.ControlPlane;
import io.pgferry.controller.store.EtcdClient;
import io.pgferry.controller.store.EtcdStore;
import io.pgferry.controller.store.FileStore;
import io.pgferry.controller.store.LeaderElection;
import io.pgferry.controller.store.Leadership;
import io.pgferry.controller.web.ApiAccess;
import io.pgferry.controller.web.ControlPlaneApi;
import io.pgferry.controller.web.ControllerHttp;
import io.pgferry.controller.web.FollowerGuard;
import io.pgferry.controller.web.LeadershipMetrics;
import io.pgferry.controller.web.StandbyApi;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The running controller: the agent link server, the node directory behind it, the journey, and the HTTP side. With
 * {@code store: {kind: etcd}} it is one of several: it serves reads always, but listens on the agent link, runs the
 * journey and so renews agent leases only while it holds the leader key (docs/ha.md).
 */
public final class ControllerDaemon {
  private static final Logger LOG = Logger.getLogger(ControllerDaemon.class.getName());

  private final Vertx vertx;
  private final ControllerConfig config;
  private final ControllerStore store;
  private final LinkDirectory directory;
  private final HttpServer http;
  private final HttpServer metricsHttp;
  private final JourneyService journey;
  private final Clock clock;
  /** The one controller loop: decides each cycle (a follower's decides nothing; a new leader's starts a new term). */
  private final ControllerLoop loop;
  private final SyncWatch standbySync;
  private final Leadership leadership;
  /** The agent link: always with the embedded store, only while leading with etcd. */
  private volatile LinkServer link;

  private ControllerDaemon(Vertx vertx, ControllerConfig config, Loaded loaded, LinkServer link, HttpServer http,
                           HttpServer metricsHttp, Clock clock) {
    this.vertx = vertx;
    this.config = config;
    this.store = loaded.store();
    this.directory = loaded.directory();
    this.standbySync = loaded.standbySync();
    this.link = link;
    this.http = http;
    this.metricsHttp = metricsHttp;
    this.journey = loaded.journey();
    this.clock = clock;
    this.leadership = loaded.leadership();
    this.loop = new ControllerLoop(journey, directory, leadership, clock, standbySync).start();
  }

  /** The HTTP side: the control API, the status page, /metrics. */
  private static ControllerHttp web(Vertx vertx, Loaded loaded, Clock clock) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    JourneyMetrics.bind(registry, loaded.journey());
    LeadershipMetrics.bind(registry, loaded.leadership());
    return new ControllerHttp(vertx, loaded.directory(), registry, clock, loaded.journey())
        .mount(router -> router.route().handler(new FollowerGuard(loaded.leadership())))
        .mount(router -> new StandbyApi(vertx, new AddStandby(loaded.journey(), loaded.directory(), loaded.standbySync())).mount(router))
        .mount(router -> new ControlPlaneApi(vertx, loaded.leadership(), loaded.directory(), clock).mount(router));
  }

  /** How long an automatic resume waits for the agents holding goals to reconnect before it goes on anyway. */
  static final Duration AUTO_RESUME_RECONNECT = Duration.ofSeconds(15);
  /** The HTTP side starts once the phase an interrupted journey resumed in is over, or this long after the link listens. */
  static final Duration API_AFTER_RESUME_MAX = Duration.ofSeconds(5);

  /** Loads the persisted goals, then listens on the link and HTTP ports. Bad config fails the future with a UsageException. */
  public static Future<ControllerDaemon> start(Vertx vertx, ControllerConfig config) {
    return start(vertx, config, Clock.systemUTC());
  }

  /** With the clock that stamps last-seen times and lease expiries (tests use a nanoTime-based one). */
  public static Future<ControllerDaemon> start(Vertx vertx, ControllerConfig config, Clock clock) {
    return vertx.executeBlocking(() -> {
      Tls tls = config.linkTls();
      ApiAccess access = new ApiAccess(tls, config.apiToken());
      ControllerStore store = openStore(config);
      LinkDirectory directory = LinkDirectory.open(vertx, store.goals(), store.addresses(), config.lease(), clock, tls != null);
      JourneyService journey = new JourneyService(store, directory, JourneySteps.with(JourneyWiring.live(config.stateDir())), clock);
      Leadership leadership = store instanceof EtcdStore ? new Deferred() : Leadership.ALWAYS;
      if (!directory.addressesKnown()) {
        warmUpTls(vertx, tls);
      }
      return new Loaded(tls, access, store, directory, journey, new SyncWatch(journey, directory, clock), leadership);
    }).compose(loaded -> {
      // the automatic resume and the agent link first, HTTP later: agents redial every 100 ms, and a resumed step
      // needs either them or the addresses kept from before the restart - not HTTP
      boolean embedded = loaded.leadership() == Leadership.ALWAYS;
      CompletableFuture<Void> resumed = new CompletableFuture<>();
      Thread resume = embedded
          ? AutoResume.start(loaded.journey(), loaded.directory(), AUTO_RESUME_RECONNECT, resumed, API_AFTER_RESUME_MAX)
          : null;
      if (resume == null) {
        resumed.complete(null);
      }
      Future<LinkServer> linkNow = embedded
          ? LinkServer.start(vertx, config.listen().host(), config.listen().port(), loaded.tls(), loaded.directory())
          : Future.succeededFuture(null);
      return linkNow.onFailure(e -> {
        if (resume != null) {
          resume.interrupt();
          loaded.journey().stepDown();
        }
      }).compose(link -> {
        // built and started from a worker once the phase an interrupted journey resumed in is over (at most
        // API_AFTER_RESUME_MAX after the link listens; at once when nothing is resumed): the routes' classes load
        // then, not while the agents' first handshakes, the resume and the phase's steps need the CPU - on a
        // controller restarted in a cutover, the app's writes wait for those
        Future<Void> apiNow = Future.fromCompletionStage(
            resumed.completeOnTimeout(null, API_AFTER_RESUME_MAX.toMillis(), TimeUnit.MILLISECONDS), vertx.getOrCreateContext());
        return apiNow.compose(v -> vertx.executeBlocking(() -> {
          ControllerHttp web = web(vertx, loaded, clock);
          return web.listen(config.http().host(), config.http().port(), loaded.access())
              .compose(http -> web.listenMetrics(config.metrics().host(), config.metrics().port())
                  .onFailure(e -> http.close())
                  .map(metricsHttp -> new ControllerDaemon(vertx, config, loaded, link, http, metricsHttp, clock)));
        })).compose(daemon -> daemon)
            .onFailure(e -> {
              if (resume != null) {
                resume.interrupt();
                loaded.journey().stepDown();
              }
              if (link != null) {
                link.close();
              }
            });
      })
          .compose(daemon -> daemon.campaign());
    });
  }

  /**
   * One in-memory mutual-TLS handshake on a thread of its own, so the agents' first handshakes find JSSE warm - when a
   * resumed journey waits for them (no address of a node holding a goal was kept). When the addresses are kept the
   * resume does not wait for the agents, and the warm-up's 0.3-0.4 s of CPU would only compete with the resumed
   * steps (docs/ha.md, "What a restart costs").
   */
  private static void warmUpTls(Vertx vertx, Tls tls) {
    try {
      TlsWarmup.start(vertx, tls);
    } catch (RuntimeException e) {
      // a bad tls: section is reported when the link starts
    }
  }

  private static ControllerStore openStore(ControllerConfig config) {
    ControllerConfig.Store s = config.store();
    if (!s.etcd()) {
      return new FileStore(config.stateDir());
    }
    Duration ttl = s.leaseTtlDuration();
    return new EtcdStore(new EtcdClient(s.endpoints(), ttl.dividedBy(3)), s.prefix());
  }

  /** etcd: starts the election (the leader key names {@code store.advertise}, or this controller's API address). */
  private Future<ControllerDaemon> campaign() {
    if (!(leadership instanceof Deferred deferred)) {
      return Future.succeededFuture(this);
    }
    ControllerConfig.Store s = config.store();
    String address = s.advertise() != null ? s.advertise() : config.http().host() + ":" + http.actualPort();
    deferred.election = new LeaderElection((EtcdStore) store, address, s.leaseTtlDuration(), new Leadership.Listener() {
      @Override
      public void elected() {
        onElected();
      }

      @Override
      public void deposed(String why) {
        onDeposed();
      }
    }).start();
    return Future.succeededFuture(this);
  }

  /** Just elected (on the election's event thread): the goals of the last leader, the agent link, the journey. */
  private void onElected() {
    try {
      directory.reloadGoals();
      LinkServer started = LinkServer.start(vertx, config.listen().host(), config.listen().port(), config.linkTls(), directory)
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      link = started;
      // its failure detector counts from now, not from a time the agents were connected elsewhere
      loop.newTerm();
      if (!leadership.leading()) {
        onDeposed(); // lost the lead while the link started
        return;
      }
      AutoResume.start(journey, directory, AUTO_RESUME_RECONNECT); // as after a restart: the agents reconnect first
    } catch (Exception e) {
      LOG.log(Level.WARNING, "taking the lead failed; the journey waits for the next leader or `pgferry resume`", e);
    }
  }

  /**
   * A journey the journal shows interrupted (its controller died or lost the lead) continues here. The one entry
   * point of #17 item 4 for a new leader: with the failsafe branch merged, point it at AutoResume.
   */
  static void continueJourney(JourneyService journey) throws IOException {
    if (journey.interruptedJourney()) {
      LOG.info("journey: " + journey.resume() + " (this controller leads now)");
    }
  }

  /** Lost the lead (on the election's watchdog thread, at once): stop the engine, stop renewing agent leases. */
  private void onDeposed() {
    loop.deposed(); // and, no longer leading, it decides nothing from its next cycle
    journey.stepDown();
    LinkServer l = link;
    link = null;
    if (l != null) {
      l.close(); // drops every agent session: no Assignment, so no lease renewal, leaves this controller any more
    }
  }

  private record Loaded(Tls tls, ApiAccess access, ControllerStore store, LinkDirectory directory, JourneyService journey,
                        SyncWatch standbySync, Leadership leadership) {}

  /** The etcd Leadership, whose election starts once the HTTP port (its advertised address) is known. */
  private static final class Deferred implements Leadership {
    private volatile LeaderElection election;

    @Override
    public boolean leading() {
      return election != null && election.leading();
    }

    @Override
    public Optional<String> leader() {
      return election == null ? Optional.empty() : election.leader();
    }

    @Override
    public long leaderChanges() {
      return election == null ? 0 : election.leaderChanges();
    }

    @Override
    public ControlPlane controlPlane() {
      return election == null ? ControlPlane.embedded() : election.controlPlane();
    }

    @Override
    public void close() {
      if (election != null) {
        election.close();
      }
    }
  }

  public LinkDirectory directory() {
    return directory;
  }

  /** Whether this controller acts (always with the embedded store). */
  public Leadership leadership() {
    return leadership;
  }

  /** The link port; -1 while this controller does not lead (etcd). */
  public int linkPort() {
    LinkServer l = link;
    return l == null ? -1 : l.port();
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

  /** The controller loop (its last decision, for tests). */
  public ControllerLoop loop() {
    return loop;
  }

  public Future<Void> close() {
    leadership.close();
    loop.close();
    standbySync.close();
    try {
      journey.close();
    } catch (IOException e) {
      Logger.getLogger(ControllerDaemon.class.getName()).warning("closing the journey: " + e.getMessage());
    }
    store.close();
    LinkServer l = link;
    return Future.join(l == null ? Future.succeededFuture() : l.close(), http.close(), metricsHttp.close()).mapEmpty();
  }
}
