package io.pgferry.e2e.rig;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; the failure names what was awaited and what was seen. */
public final class Await {
  private Await() {}

  public static void until(String what, Duration timeout, Supplier<Boolean> condition, Supplier<String> lastSeen) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        if (Boolean.TRUE.equals(condition.get())) {
          return;
        }
      } catch (RuntimeException ignored) {
        // not yet (connection refused, node unknown, ...)
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what + "; last seen: " + lastSeen.get());
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + what, e);
      }
    }
  }
}
