package io.pgferry.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FailsafeTimeTest {
  private static final long S = 1_000_000_000L;

  @Test
  void sumsTheTimeFromEachServingStatusToTheNext() {
    FailsafeTime t = new FailsafeTime();
    t.observe(false, 0);
    t.observe(true, 1 * S); // serving from here
    t.observe(true, 3 * S);
    t.observe(false, 4 * S); // 3 s served
    t.observe(false, 9 * S);
    assertEquals(3.0, t.seconds(), 1e-9);
    t.observe(true, 10 * S);
    t.observe(true, 10 * S + S / 2);
    assertEquals(3.5, t.seconds(), 1e-9);
  }
}
