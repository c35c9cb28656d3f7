package io.pgferry.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Runs a blocking call on its own thread, interrupts that thread once the call is under way (as a stopping engine
 * does), and reports how and how soon the call ended.
 */
public final class Interruption {
  private Interruption() {}

  @FunctionalInterface
  public interface Call {
    void run() throws Exception;
  }

  /**
   * @param thrown what the call threw (null: it returned)
   * @param interruptPending the thread's interrupt flag when the call was done (an API that cannot throw
   *     InterruptedException must restore it)
   * @param ended the call ended within the bound given
   */
  public record Outcome(Throwable thrown, boolean interruptPending, boolean ended, long millisAfterInterrupt) {}

  /** Starts {@code call}, waits (up to 10 s) until {@code underWay}, interrupts, and waits up to {@code endWithin} for it to end. */
  public static Outcome of(Call call, BooleanSupplier underWay, Duration endWithin) throws InterruptedException {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicBoolean pending = new AtomicBoolean();
    Thread thread = new Thread(() -> {
      try {
        call.run();
      } catch (Throwable t) {
        thrown.set(t);
      }
      pending.set(Thread.currentThread().isInterrupted());
    }, "interrupted-call");
    thread.start();
    if (!Ledger.await(underWay, Duration.ofSeconds(10))) {
      thread.interrupt();
      throw new AssertionError("the call did not get under way within 10 s");
    }
    long start = System.nanoTime();
    thread.interrupt();
    thread.join(endWithin.toMillis());
    long ms = (System.nanoTime() - start) / 1_000_000;
    return new Outcome(thrown.get(), pending.get(), !thread.isAlive(), ms);
  }
}
