package io.pgferry.e2e.rig;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; the failure names what was awaited and what was seen. */
public final class Await {
  private Await() {}

  public static void until(String what, Duration timeout, Supplier<Boolean> condition, Supplier<String> lastSeen) {
    io.pgferry.testkit.Await.until(what, timeout, Duration.ofMillis(200), condition::get, lastSeen);
  }
}
