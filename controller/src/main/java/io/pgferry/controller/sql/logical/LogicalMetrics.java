package io.pgferry.controller.sql.logical;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The last sync snapshot as Prometheus gauges (DESIGN §9): {@code pgferry_subscription_lag_bytes} and
 * {@code pgferry_slot_retained_wal_bytes{slot}} (NaN until LOGICAL_SYNC has looked). One subscription per
 * controller, so process-wide values.
 */
public final class LogicalMetrics {
  private static final AtomicReference<SyncSnapshot> LAST = new AtomicReference<>();
  private static final AtomicReference<String> SLOT = new AtomicReference<>(LogicalNames.DEFAULT.slot());

  /** Seconds until A's disk is full or the subscription's slot is invalidated at the current WAL growth. */
  private static final AtomicReference<Double> WAL_FORECAST = new AtomicReference<>(Double.NaN);
  private static final AtomicReference<Double> SLOT_LOST = new AtomicReference<>(Double.NaN);

  private LogicalMetrics() {}

  /** The sync wait's WAL guard: its forecast and whether the subscription's slot is lost. */
  public static void recordWal(double forecastSeconds, boolean lost) {
    WAL_FORECAST.set(forecastSeconds);
    SLOT_LOST.set(lost ? 1.0 : 0.0);
  }

  public static void record(String slot, SyncSnapshot snapshot) {
    SLOT.set(slot);
    LAST.set(snapshot);
  }

  public static void bind(MeterRegistry registry) {
    Gauge.builder("pgferry_subscription_lag_bytes", LAST, r -> r.get() == null || r.get().lagBytes() < 0 ? Double.NaN : r.get().lagBytes())
        .description("A's current WAL position minus the subscription slot's confirmed_flush_lsn").register(registry);
    Gauge.builder("pgferry_slot_retained_wal_bytes", LAST, r -> r.get() == null ? Double.NaN : r.get().retainedWalBytes())
        .description("WAL A keeps for the subscription's slot (current LSN minus restart_lsn)")
        .tag("slot", SLOT.get()).register(registry);
    Gauge.builder("pgferry_wal_forecast_seconds", WAL_FORECAST, AtomicReference::get)
        .description("At the current growth of the WAL A's slots retain: seconds until A's disk is full or the subscription's"
            + " slot is invalidated by max_slot_wal_keep_size, whichever first (+Inf: not growing)").register(registry);
    Gauge.builder("pgferry_slot_lost", SLOT_LOST, AtomicReference::get)
        .description("1 when the subscription's slot on A was invalidated (wal_status lost): its tables must be re-synced")
        .tag("slot", SLOT.get()).register(registry);
  }
}
