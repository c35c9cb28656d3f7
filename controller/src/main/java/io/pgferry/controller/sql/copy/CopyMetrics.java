package io.pgferry.controller.sql.copy;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * The snapshot copy as Prometheus gauges (NaN before it starts): {@code pgferry_copy_bytes}, {@code pgferry_copy_rows},
 * {@code pgferry_copy_percent}, {@code pgferry_copy_mb_per_second}, {@code pgferry_copy_eta_seconds}. One copy per
 * controller, so process-wide; {@link #view()} also feeds the journey's status.
 */
public final class CopyMetrics {
  private static final AtomicReference<CopyProgress> CURRENT = new AtomicReference<>();

  private CopyMetrics() {}

  static void current(CopyProgress progress) {
    CURRENT.set(progress);
  }

  /** The running (or last) copy, or null. */
  public static CopyProgress.View view() {
    CopyProgress p = CURRENT.get();
    return p == null ? null : p.view();
  }

  public static void bind(MeterRegistry registry) {
    gauge(registry, "pgferry_copy_bytes", "COPY data streamed A -> T by the snapshot copy (done items and the running ones)",
        v -> (double) v.bytes());
    gauge(registry, "pgferry_copy_rows", "rows the snapshot copy committed on T", v -> (double) v.rows());
    gauge(registry, "pgferry_copy_percent", "the snapshot copy's progress, by A's table sizes", CopyProgress.View::percent);
    gauge(registry, "pgferry_copy_mb_per_second", "the snapshot copy's rate since it (re)started", CopyProgress.View::mbPerSecond);
    gauge(registry, "pgferry_copy_eta_seconds", "seconds left at that rate (NaN: unknown)",
        v -> v.eta() == null ? Double.NaN : (double) v.eta().toSeconds());
  }

  private static void gauge(MeterRegistry registry, String name, String description,
                            ToDoubleFunction<CopyProgress.View> f) {
    Gauge.builder(name, CURRENT, r -> r.get() == null ? Double.NaN : f.applyAsDouble(r.get().view())).description(description)
        .register(registry);
  }
}
