package io.pgferry.controller.journey;

import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The intents API calls recorded and the controller loop has not taken yet. Offering one wakes the loop; with no
 * loop attached (a JourneyService used on its own) there is nobody to take it, and {@link #attached} says so.
 */
public final class Intents {
  private final ConcurrentLinkedQueue<Intent> queue = new ConcurrentLinkedQueue<>();
  private volatile Runnable wake;

  /** The controller loop: it takes intents and is woken by each new one. */
  public void attach(Runnable wakeLoop) {
    this.wake = wakeLoop;
  }

  public boolean attached() {
    return wake != null;
  }

  public void offer(Intent intent) {
    queue.add(intent);
    Runnable w = wake;
    if (w != null) {
      w.run();
    }
  }

  /** The oldest intent not yet taken (left in place: the loop takes it once it acts on it). */
  public Optional<Intent> peek() {
    return Optional.ofNullable(queue.peek());
  }

  /** The oldest intent not yet taken (taken by this call). */
  public Optional<Intent> take() {
    return Optional.ofNullable(queue.poll());
  }
}
