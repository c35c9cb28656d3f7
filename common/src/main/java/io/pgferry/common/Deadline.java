package io.pgferry.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;

/** A point in time a wait gives up at, with the budget it was given (for messages). Immutable. */
public final class Deadline {
  private final LongSupplier nanos;
  private final long end;
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

  public Duration budget() {
    return budget;
  }

  private static long nanosOf(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
