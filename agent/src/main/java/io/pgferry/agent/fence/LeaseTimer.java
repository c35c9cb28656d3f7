package io.pgferry.agent.fence;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Wakes the converger exactly when the enforced lease runs out (a once-a-second check could be up to a second
 * late, eating the margin). Each renewal replaces the previous deadline.
 */
public final class LeaseTimer implements AutoCloseable {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgferry-lease-timer");
    t.setDaemon(true);
    return t;
  });
  private ScheduledFuture<?> pending;

  public synchronized void wakeAt(long atNanos, Runnable wake) {
    if (pending != null) {
      pending.cancel(false);
    }
    pending = timer.schedule(wake, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  /** Runs a small task on the timer's thread (file writes that must stay off an event loop). */
  public void submit(Runnable task) {
    try {
      timer.execute(task);
    } catch (RejectedExecutionException e) {
      // closed: nothing more to keep
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
