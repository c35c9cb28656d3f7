package io.pgferry.controller.web;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pgferry.controller.store.Leadership;

/**
 * Leadership metrics (docs/contracts.md): {@code pgferry_leader} (1 while this controller leads; always 1 with the
 * embedded store) and {@code pgferry_leader_changes_total} (changes of the etcd leader key this controller saw).
 */
public final class LeadershipMetrics {
  private LeadershipMetrics() {}

  public static void bind(MeterRegistry registry, Leadership leadership) {
    Gauge.builder("pgferry.leader", leadership, l -> l.leading() ? 1 : 0)
        .description("1 while this controller leads (holds the etcd leader key; always with the embedded store)").register(registry);
    FunctionCounter.builder("pgferry.leader.changes", leadership, Leadership::leaderChanges)
        .description("changes of the leading controller this controller saw (etcd)").register(registry);
  }
}
