package io.pgferry.controller.web;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pgferry.controller.link.LinkDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The controller's link metrics (names in docs/contracts.md). Per-node gauges are registered the first time a node
 * is seen and read the directory at scrape time.
 */
public final class ControllerMetrics {
  private final MeterRegistry registry;
  private final LinkDirectory directory;
  private final Clock clock;
  private final Set<String> registeredNodes = new HashSet<>();

  public ControllerMetrics(MeterRegistry registry, LinkDirectory directory, Clock clock) {
    this.registry = registry;
    this.directory = directory;
    this.clock = clock;
    Gauge.builder("pgferry_agents_connected", directory, LinkDirectory::connectedCount)
        .description("agents with an open link to this controller").register(registry);
  }

  /** Registers gauges for nodes that appeared since the last scrape. */
  public synchronized void refresh() {
    for (NodeView node : directory.all()) {
      String id = node.nodeId();
      if (!registeredNodes.add(id)) {
        continue;
      }
      Gauge.builder("pgferry_node_last_seen_seconds", () -> view(id)
              .filter(v -> v.lastSeen() != null)
              .map(v -> Duration.between(v.lastSeen(), clock.instant()).toMillis() / 1000.0)
              .orElse(Double.NaN))
          .description("seconds since the node's agent last sent anything (NaN: not seen since the controller started)")
          .tag("node", id).register(registry);
      Gauge.builder("pgferry_node_replay_lag_bytes", () -> view(id).map(v -> (double) v.status().getReplayLagBytes()).orElse(Double.NaN))
          .description("receive minus replay position the node last reported").tag("node", id).register(registry);
      Gauge.builder("pgferry_lease_remaining_seconds", () -> view(id)
              .flatMap(NodeView::leaseExpiresAt)
              .map(t -> Math.max(0, Duration.between(clock.instant(), t).toMillis()) / 1000.0)
              .orElse(0.0))
          .description("time left on the PRIMARY lease the controller granted the node (0: none)").tag("node", id).register(registry);
    }
  }

  private Optional<NodeView> view(String id) {
    return directory.node(id);
  }
}
