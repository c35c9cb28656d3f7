package io.pgferry.common;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * The one polling loop: asks a check every {@code interval} until it answers, or gives up once the deadline has
 * passed with a {@link Timeout} that names what it waited for. The check runs first (a wait that is already over
 * costs no pause, also on an interrupted thread: an undo whose condition already holds still completes); the look
 * that finds the deadline passed is the last one. An interrupt ends the wait at the next pause with
 * {@link InterruptedException}, also when the check swallowed it and only restored the flag.
 */
public final class Poll {
  private Poll() {}

  /** One look: the value when the wait is over, empty to look again. */
  @FunctionalInterface
  public interface Check<T, E extends Exception> {
    Optional<T> look() throws E;
  }

  /** One look: true when the wait is over. */
  @FunctionalInterface
  public interface Condition<E extends Exception> {
    boolean holds() throws E;
  }

  /** How to wait between looks ({@link #SLEEP}, or a journey step's abortable pause). */
  @FunctionalInterface
  public interface Pause {
    void pause(Duration interval) throws InterruptedException;
  }

  public static final Pause SLEEP = interval -> Thread.sleep(interval.toMillis());

  /** The deadline passed before the check answered. */
  public static final class Timeout extends TimeoutException {
    private final String what;
    private final Duration waited;

    Timeout(String what, Duration waited) {
      super("gave up waiting for " + what + " after " + format(waited));
      this.what = what;
      this.waited = waited;
    }

    public String what() {
      return what;
    }

    public Duration waited() {
      return waited;
    }
  }

  /** Sleeps {@code interval} between looks; returns the check's value. */
  public static <T, E extends Exception> T until(Deadline deadline, Duration interval, String what, Check<T, E> check)
      throws E, InterruptedException, Timeout {
    return until(deadline, interval, SLEEP, what, check);
  }

  public static <T, E extends Exception> T until(Deadline deadline, Duration interval, Pause pause, String what, Check<T, E> check)
      throws E, InterruptedException, Timeout {
    while (true) {
      Optional<T> value = check.look();
      if (value.isPresent()) {
        return value.get();
      }
      if (deadline.passed()) {
        throw new Timeout(what, deadline.budget());
      }
      pause.pause(interval);
    }
  }

  /** Sleeps {@code interval} between looks until the condition holds. */
  public static <E extends Exception> void untilTrue(Deadline deadline, Duration interval, String what, Condition<E> condition)
      throws E, InterruptedException, Timeout {
    untilTrue(deadline, interval, SLEEP, what, condition);
  }

  public static <E extends Exception> void untilTrue(Deadline deadline, Duration interval, Pause pause, String what,
      Condition<E> condition) throws E, InterruptedException, Timeout {
    until(deadline, interval, pause, what, () -> condition.holds() ? Optional.of(Boolean.TRUE) : Optional.empty());
  }

  private static String format(Duration d) {
    return d.toMillis() < 10_000 && d.toMillis() % 1000 != 0 ? d.toMillis() + " ms" : d.toSeconds() + " s";
  }
}
