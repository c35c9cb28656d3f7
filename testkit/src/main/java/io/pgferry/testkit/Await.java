package io.pgferry.testkit;

import io.pgferry.common.Deadline;
import io.pgferry.common.Poll;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The tests' and the e2e rig's one wait: looks at a condition every {@code interval} (a look that throws counts as
 * "not yet": connection refused, node unknown) until it holds, or fails naming what was awaited, the last error and
 * what the caller last saw (an IllegalStateException: the demo reports it like any other failure). Built on
 * {@link Poll}, the product's own loop.
 */
public final class Await {
  public static final Duration INTERVAL = Duration.ofMillis(100);

  private Await() {}

  public static void until(String what, Duration timeout, Callable<Boolean> condition, Supplier<String> lastSeen) {
    until(what, timeout, INTERVAL, condition, lastSeen);
  }

  public static void until(String what, Duration timeout, Duration interval, Callable<Boolean> condition, Supplier<String> lastSeen) {
    Exception[] lastError = new Exception[1];
    try {
      Poll.untilTrue(Deadline.in(timeout), interval, what, () -> {
        try {
          return Boolean.TRUE.equals(condition.call());
        } catch (InterruptedException e) {
          throw e;
        } catch (Exception e) {
          lastError[0] = e;
          return false;
        }
      });
    } catch (Poll.Timeout e) {
      throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what
          + (lastError[0] == null ? "" : " (last error: " + lastError[0] + ")") + "; last seen: " + lastSeen.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + what, e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A wait with nothing more to say than its name. */
  public static void until(String what, Duration timeout, Callable<Boolean> condition) {
    until(what, timeout, condition, () -> "-");
  }
}
