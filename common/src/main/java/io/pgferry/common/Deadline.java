package io.pgferry.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * A point in time a wait gives up at, with the budget it was given (for messages). Fixed, except that {@link #renew}
 * gives the whole budget again; use it on the waiting thread.
 */
public final class Deadline {
  private final LongSupplier nanos;
  private long end;
  private final Duration budget;

  private Deadline(LongSupplier nanos, long end, Duration budget) {
    this.nanos = nanos;
    this.end = end;
    this.budget = budget;
  }

  /** {@code budget} from now on the monotonic clock. */
  public static Deadline in(Duration budget) {
    return new Deadline(System::nanoTime, System.nanoTime() + budget.toNanos(), budget);
  }

  /** {@code budget} after {@code start} on {@code clock} (a step's deadline counts from when the step started). */
  public static Deadline after(Clock clock, Instant start, Duration budget) {
    return new Deadline(() -> nanosOf(clock.instant()), nanosOf(start.plus(budget)), budget);
  }

  public boolean passed() {
    return nanos.getAsLong() - end > 0;
  }

  /** The time left until the end: zero or negative once it passed. */
  public Duration remaining() {
    return Duration.ofNanos(end - nanos.getAsLong());
  }

  /**
   * Moves the end to {@code budget} from now: a wait that learnt the delay is not a failure (e.g. it waits on a
   * person) starts counting again.
   */
  public void renew() {
    end = nanos.getAsLong() + budget.toNanos();
  }

  public Duration budget() {
    return budget;
  }

  private static long nanosOf(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
