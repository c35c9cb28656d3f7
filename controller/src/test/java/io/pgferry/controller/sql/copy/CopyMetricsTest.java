package io.pgferry.controller.sql.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The copy's gauges as Prometheus scrapes them, through a resumed copy: one range done before the run, then the
 * other range and a small table streamed and committed while the clock moves (bytes, rows, percent by A's table
 * sizes, MB/s of this run, ETA at that rate).
 */
class CopyMetricsTest {
  private static final TableRef BIG = new TableRef("shop", "big");
  private static final TableRef SMALL = new TableRef("shop", "small");

  @Test
  void gaugesFollowTheCopy() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    CopyMetrics.bind(registry);
    CopyMetrics.current(null);
    try {
      assertTrue(Double.isNaN(scraped(registry, "pgferry_copy_bytes")), "NaN before a copy starts");

      CopyItem big1 = new CopyItem("shop.big#1/2", BIG, "ctid < '(100,0)'", 4_000_000, false);
      CopyItem big2 = new CopyItem("shop.big#2/2", BIG, "ctid >= '(100,0)'", 4_000_000, false);
      CopyItem small = new CopyItem("shop.small", SMALL, "", 2_000_000, false);
      ManualClock clock = new ManualClock(Instant.parse("2026-12-06T10:00:00Z"));
      CopyProgress progress = new CopyProgress(clock, List.of(new CopyLedger.Entry(big1, "snap", true, 100, 4_000_000),
          new CopyLedger.Entry(big2, "snap", false, 0, 0), new CopyLedger.Entry(small, "snap", false, 0, 0)));
      CopyMetrics.current(progress);
      assertGauges(registry, 4_000_000, 100, 40.0, 0.0, Double.NaN); // the range done before counts; no rate yet, so no ETA

      clock.advance(Duration.ofSeconds(2));
      progress.streamed(big2, 2_000_000);
      assertGauges(registry, 6_000_000, 100, 60.0, 1.0, 4); // 4 MB left at 1 MB/s

      clock.advance(Duration.ofSeconds(2));
      progress.streamed(big2, 2_000_000);
      progress.done(big2, 50);
      assertGauges(registry, 8_000_000, 150, 80.0, 1.0, 2);

      clock.advance(Duration.ofSeconds(1));
      progress.streamed(small, 2_000_000);
      progress.done(small, 10);
      progress.finish();
      assertGauges(registry, 10_000_000, 160, 100.0, 1.2, 0);
    } finally {
      CopyMetrics.current(null); // process-wide: no other test sees this copy
    }
  }

  private static void assertGauges(PrometheusMeterRegistry registry, double bytes, double rows, double percent, double mbPerSecond,
                                   double etaSeconds) {
    assertEquals(bytes, scraped(registry, "pgferry_copy_bytes"), "bytes");
    assertEquals(rows, scraped(registry, "pgferry_copy_rows"), "rows");
    assertEquals(percent, scraped(registry, "pgferry_copy_percent"), 1e-9, "percent");
    assertEquals(mbPerSecond, scraped(registry, "pgferry_copy_mb_per_second"), 1e-9, "MB/s");
    assertEquals(etaSeconds, scraped(registry, "pgferry_copy_eta_seconds"), "ETA seconds");
  }

  /** The value of {@code name} in the Prometheus text the controller's /metrics serves. */
  private static double scraped(PrometheusMeterRegistry registry, String name) {
    return registry.scrape().lines().filter(l -> l.startsWith(name + " ")).map(l -> Double.parseDouble(l.substring(name.length() + 1)))
        .findFirst().orElseThrow(() -> new AssertionError(name + " not in the scrape:\n" + registry.scrape()));
  }
}
