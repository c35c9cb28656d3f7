package io.pgferry.common;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/** Exponential backoff with full jitter, capped. Immutable; {@link #delay(int)} for the n-th retry (0-based). */
public record Backoff(Duration initial, Duration max, double factor) {
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10), 2.0);

  public Duration delay(int attempt) {
    double ms = initial.toMillis() * Math.pow(factor, Math.min(attempt, 30));
    long cap = (long) Math.min(ms, max.toMillis());
    return Duration.ofMillis(cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1));
  }

  /** Blocking retry for worker threads: runs {@code action} until it succeeds, the error is not retriable, or attempts run out. */
  public <T> T retry(int attempts, Retriable<T> action, Predicate<Exception> retriable) throws Exception {
    for (int attempt = 0; ; attempt++) {
      try {
        return action.call(attempt);
      } catch (Exception e) {
        if (attempt + 1 >= attempts || !retriable.test(e)) {
          throw e;
        }
        Thread.sleep(delay(attempt).toMillis());
      }
    }
  }

  @FunctionalInterface
  public interface Retriable<T> {
    T call(int attempt) throws Exception;
  }
}
