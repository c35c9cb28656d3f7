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

  private LogicalMetrics() {}

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
  }
}
