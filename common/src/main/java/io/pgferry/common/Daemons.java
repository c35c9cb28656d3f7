package io.pgferry.common;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** One named daemon worker thread, and stopping it: the shape of the agent's periodic loops. */
public final class Daemons {
  private Daemons() {}

  /** A scheduled executor on one daemon thread named {@code name}. */
  public static ScheduledExecutorService singleThread(String name) {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Interrupts the running task and waits up to {@code wait} for it to end; keeps an interrupt of the caller. */
  public static void stop(ExecutorService executor, Duration wait) {
    executor.shutdownNow();
    try {
      executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
