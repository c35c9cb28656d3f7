package io.pgferry.agent.core;

import io.pgferry.agent.cluster.Observation;
import io.pgferry.agent.converge.NodeContext;
import io.pgferry.common.Daemons;
import io.pgferry.proto.Disk;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Observes the local PostgreSQL (pgjdbc) and the data dir's disk every {@code every} on its own thread, and hands
 * each observation to the {@link StatusReporter}; after it, {@code afterObservation} runs (the lease check).
 */
public final class Observer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Observer.class.getName());
  private final NodeContext ctx;
  private final StatusReporter reporter;
  private final Runnable afterObservation;
  private final Duration every;
  private final ScheduledExecutorService thread = Daemons.singleThread("pgferry-observer");

  public Observer(NodeContext ctx, StatusReporter reporter, Duration every, Runnable afterObservation) {
    this.ctx = ctx;
    this.reporter = reporter;
    this.every = every;
    this.afterObservation = afterObservation;
  }

  public void start() {
    thread.scheduleWithFixedDelay(this::observeOnce, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Observe again now (after a transition step: a new state never travels with an old observation). */
  public void observeSoon() {
    try {
      thread.execute(this::observeOnce);
    } catch (RejectedExecutionException e) {
      reporter.refresh(); // shutting down
    }
  }

  /**
   * Runs {@code first} and then an observation on the observer's thread; completes after both (also when they
   * failed: the reporter then keeps the last observation).
   */
  public CompletableFuture<Void> observeNow(Runnable first) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      thread.execute(() -> {
        try {
          first.run();
        } catch (RuntimeException e) {
          LOG.warning("before observing: " + e);
        }
        observeOnce();
        done.complete(null);
      });
    } catch (RejectedExecutionException e) {
      done.complete(null); // shutting down
    }
    return done;
  }

  private void observeOnce() {
    try {
      boolean running = ctx.pgCtl().isRunning();
      Observation o = running ? ctx.localPostgresForObserver().observe(System.nanoTime(), true)
          : Observation.notRunning(System.nanoTime());
      reporter.observed(o, disk(ctx.dataDir()));
      afterObservation.run();
    } catch (RuntimeException e) {
      LOG.warning("observing PostgreSQL failed: " + e);
    }
  }

  /** Free and used space of the file system holding the data dir (or its nearest existing parent). */
  static Disk disk(Path dataDir) {
    Path p = dataDir;
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p == null) {
      return Disk.getDefaultInstance();
    }
    try {
      FileStore fs = Files.getFileStore(p);
      return Disk.newBuilder().setDataDirFreeBytes(fs.getUsableSpace()).setDataDirTotalBytes(fs.getTotalSpace())
          .setDataDirUsedBytes(fs.getTotalSpace() - fs.getUnallocatedSpace()).build();
    } catch (IOException e) {
      return Disk.getDefaultInstance();
    }
  }

  @Override
  public void close() {
    Daemons.stop(thread, Duration.ofSeconds(10));
    ctx.localPostgresForObserver().close();
  }
}
