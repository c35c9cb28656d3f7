package io.pgferry.controller.daemon;

import io.pgferry.common.Tls;
import io.pgferry.common.TlsWarmup;
import io.pgferry.controller.journey.JourneyAssembly;
import io.pgferry.controller.journey.JourneyService;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.store.FileStore;
import io.pgferry.controller.store.StateDirLock;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code pgferry controller run --spare} with the embedded store: a second controller process on the same host and
 * state dir that waits for the first to end, then takes over (docs/ha.md, "A warm spare"). A controller started cold
 * spends most of its first second loading and initializing classes on a JVM that has run nothing yet; the spare
 * does that while it waits, reading only: every class of the controller's packages is loaded, the TLS stack has made
 * one handshake, the JDBC driver is loaded, the goals and nodes' addresses are read, the plan copy is parsed and the
 * journey's steps are built from it as `pgferry plan` builds them (again whenever the plan copy changes). When the
 * lock comes free (the operating system releases it the moment its holder dies, kill -9 included) it starts as any
 * controller does: it loads the store afresh and resumes the journey where the journal stands.
 */
public final class WarmSpare {
  private static final Logger LOG = Logger.getLogger(WarmSpare.class.getName());
  /** How often a waiting spare looks whether the plan copy changed (then parses it again). */
  private static final Duration REHEARSE_EVERY = Duration.ofSeconds(30);

  private WarmSpare() {}

  /** Returns the state dir's lock, held: at once when no controller holds it, else once its holder has ended. */
  public static StateDirLock awaitTurn(Vertx vertx, ControllerConfig config) throws IOException {
    Optional<StateDirLock> free = StateDirLock.tryTake(config.stateDir());
    if (free.isPresent()) {
      return free.get();
    }
    Thread warm = new Thread(() -> warmUp(vertx, config), "pgferry-spare-warm-up");
    warm.setDaemon(true);
    warm.setPriority(Thread.MIN_PRIORITY);
    warm.start();
    LOG.info("spare: another controller holds state_dir " + config.stateDir() + "; warming up and waiting to take over"
        + " when it ends");
    long waiting = System.nanoTime();
    StateDirLock lock = StateDirLock.await(config.stateDir());
    warm.interrupt();
    LOG.info("spare: the controller before ended after " + Duration.ofNanos(System.nanoTime() - waiting).toSeconds()
        + " s of waiting; taking over state_dir " + config.stateDir());
    return lock;
  }

  private static void warmUp(Vertx vertx, ControllerConfig config) {
    long started = System.nanoTime();
    int classes = ClassPreload.run();
    try {
      Tls tls = config.linkTls();
      if (tls != null) {
        TlsWarmup.handshake(vertx, tls);
      }
      Class.forName("org.postgresql.Driver");
    } catch (Exception e) {
      LOG.log(Level.FINE, "spare: warm-up: " + e, e);
    }
    if (Thread.currentThread().isInterrupted()) {
      return; // took over while the classes loaded
    }
    FileStore store = new FileStore(config.stateDir());
    String rehearsed = rehearse(store, null);
    LOG.info("spare: warmed up in " + (System.nanoTime() - started) / 1_000_000 + " ms (" + classes + " classes loaded)");
    while (true) {
      try {
        Thread.sleep(REHEARSE_EVERY.toMillis());
      } catch (InterruptedException e) {
        return; // taking over
      }
      rehearsed = rehearse(store, rehearsed);
    }
  }

  /** Reads and parses what a resume reads first (nothing is written); returns the plan text parsed. */
  private static String rehearse(FileStore store, String parsedBefore) {
    try {
      store.goals().load();
      store.addresses().load();
      Optional<String> plan = store.planCopy().read();
      if (plan.isPresent() && !plan.get().equals(parsedBefore)) {
        Plan parsed = PlanLoader.parse(JourneyService.PLAN_COPY, plan.get(), null).plan();
        JourneyAssembly journey = JourneySteps.with(JourneyWiring.defaults()); // as `pgferry plan`: describing touches nothing
        journey.steps(parsed, journey.ports(parsed, null));
        return plan.get();
      }
    } catch (Exception | LinkageError e) {
      LOG.log(Level.FINE, "spare: rehearsal: " + e, e);
    }
    return parsedBefore;
  }
}
