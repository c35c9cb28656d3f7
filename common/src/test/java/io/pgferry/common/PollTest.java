package io.pgferry.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PollTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** A clock that moves only when the poll pauses. */
  private static final class FakeTime extends Clock {
    Instant now = T0;
    final List<Duration> pauses = new ArrayList<>();

    final Poll.Pause pause = d -> {
      pauses.add(d);
      now = now.plus(d);
    };

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void returnsTheValueOfTheFirstLookThatHasOne() throws Exception {
    FakeTime time = new FakeTime();
    AtomicInteger looks = new AtomicInteger();
    String value = Poll.until(Deadline.after(time, T0, Duration.ofSeconds(10)), Duration.ofMillis(200), time.pause, "the third look",
        () -> looks.incrementAndGet() == 3 ? Optional.of("found") : Optional.empty());
    assertEquals("found", value);
    assertEquals(3, looks.get());
    assertEquals(List.of(Duration.ofMillis(200), Duration.ofMillis(200)), time.pauses, "a pause between looks, none after the last");
  }

  @Test
  void aConditionThatAlreadyHoldsCostsNoPause() throws Exception {
    FakeTime time = new FakeTime();
    Poll.untilTrue(Deadline.after(time, T0, Duration.ZERO), Duration.ofSeconds(1), time.pause, "nothing", () -> true);
    assertTrue(time.pauses.isEmpty());
  }

  @Test
  void givesUpOnceTheDeadlinePassedNamingWhatItWaitedFor() {
    FakeTime time = new FakeTime();
    AtomicInteger looks = new AtomicInteger();
    Poll.Timeout e = assertThrows(Poll.Timeout.class, () -> Poll.untilTrue(Deadline.after(time, T0, Duration.ofSeconds(1)),
        Duration.ofMillis(300), time.pause, "slot s1 to be released", () -> looks.incrementAndGet() < 0));
    // looks at 0, 300, 600, 900 ms are before the deadline; the one at 1200 ms finds it passed
    assertEquals(5, looks.get());
    assertEquals(T0.plusMillis(1200), time.now);
    assertEquals("slot s1 to be released", e.what());
    assertEquals(Duration.ofSeconds(1), e.waited());
    assertEquals("gave up waiting for slot s1 to be released after 1 s", e.getMessage());
  }

  @Test
  void theDeadlineCountsFromTheGivenStartNotFromTheFirstLook() {
    FakeTime time = new FakeTime();
    time.now = T0.plusSeconds(5); // the step started 5 s ago with a 3 s budget
    AtomicInteger looks = new AtomicInteger();
    assertThrows(Poll.Timeout.class, () -> Poll.untilTrue(Deadline.after(time, T0, Duration.ofSeconds(3)), Duration.ofMillis(100),
        time.pause, "x", () -> looks.incrementAndGet() < 0));
    assertEquals(1, looks.get(), "one look, then the passed deadline ends the wait");
  }

  @Test
  void aRenewedDeadlineGivesTheWholeBudgetAgainFromTheRenewal() {
    FakeTime time = new FakeTime();
    Deadline deadline = Deadline.after(time, T0, Duration.ofSeconds(1));
    AtomicInteger looks = new AtomicInteger();
    Poll.Timeout e = assertThrows(Poll.Timeout.class, () -> Poll.untilTrue(deadline, Duration.ofMillis(300), time.pause, "x", () -> {
      if (time.now.equals(T0.plusMillis(600))) {
        deadline.renew(); // e.g. the wait learnt it waits on a person: the budget counts again from here
      }
      looks.incrementAndGet();
      return false;
    }));
    // looks at 0 .. 1500 ms are before the renewed end (1600 ms); the one at 1800 ms finds it passed
    assertEquals(7, looks.get());
    assertEquals(T0.plusMillis(1800), time.now);
    assertEquals(Duration.ofSeconds(1), e.waited(), "the message names the budget, not the time since the first look");
  }

  @Test
  void remainingCountsDownToTheEndAndBelowZeroAfterIt() {
    FakeTime time = new FakeTime();
    Deadline deadline = Deadline.after(time, T0, Duration.ofSeconds(2));
    assertEquals(Duration.ofSeconds(2), deadline.remaining());
    time.now = T0.plusMillis(1500);
    assertEquals(Duration.ofMillis(500), deadline.remaining());
    time.now = T0.plusSeconds(3);
    assertEquals(Duration.ofSeconds(-1), deadline.remaining());
    assertTrue(deadline.passed());
  }

  @Test
  void theChecksOwnErrorPassesThroughWithItsType() {
    FakeTime time = new FakeTime();
    IOException e = assertThrows(IOException.class, () -> Poll.until(Deadline.after(time, T0, Duration.ofSeconds(1)), Duration.ofMillis(10),
        time.pause, "x", () -> {
          throw new IOException("connection reset");
        }));
    assertEquals("connection reset", e.getMessage());
  }

  @Test
  void anInterruptedThreadLooksOnceThenStops() {
    AtomicInteger looks = new AtomicInteger();
    Thread.currentThread().interrupt();
    assertThrows(InterruptedException.class, () -> Poll.untilTrue(Deadline.in(Duration.ofSeconds(30)), Duration.ofMillis(10), "x",
        () -> looks.incrementAndGet() < 0));
    assertEquals(1, looks.get());
    assertFalse(Thread.interrupted(), "the flag is consumed by the exception, as Thread.sleep does");
  }

  @Test
  void anInterruptedThreadStillGetsAnAnswerThatIsAlreadyThere() throws Exception {
    Thread.currentThread().interrupt();
    try {
      assertEquals("done", Poll.until(Deadline.in(Duration.ofSeconds(30)), Duration.ofMillis(10), "x", () -> Optional.of("done")));
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt stays pending for the caller");
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void anInterruptEndsARealWaitPromptlyEvenWhenTheCheckRestoresTheFlag() throws Exception {
    for (boolean checkSwallows : new boolean[] {false, true}) {
      AtomicReference<Throwable> ended = new AtomicReference<>();
      CountDownLatch looking = new CountDownLatch(1);
      Thread poller = new Thread(() -> {
        try {
          Poll.untilTrue(Deadline.in(Duration.ofSeconds(30)), Duration.ofMillis(50), "something that never happens", () -> {
            looking.countDown();
            if (checkSwallows) {
              try {
                Thread.sleep(20); // a check that, like a JDBC driver, turns the interrupt into a restored flag
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return false;
          });
        } catch (Throwable t) {
          ended.set(t);
        }
      });
      poller.start();
      assertTrue(looking.await(5, TimeUnit.SECONDS));
      long start = System.nanoTime();
      poller.interrupt();
      poller.join(2000);
      assertFalse(poller.isAlive(), "the poll ended after the interrupt");
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
      assertInstanceOf(InterruptedException.class, ended.get(), "check swallows: " + checkSwallows);
    }
  }

  @Test
  void aRealDeadlineEndsTheWait() {
    long start = System.nanoTime();
    assertThrows(Poll.Timeout.class, () -> Poll.untilTrue(Deadline.in(Duration.ofMillis(100)), Duration.ofMillis(20), "x", () -> false));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms >= 100 && ms < 5000, ms + " ms");
  }
}
