package io.pgferry.controller.web;

import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.Status;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The replication lag each node reported, sampled at a fixed interval and kept for a bounded number of samples, so
 * the status page draws a chart that starts full on load. The lag of a sample is the upstream lag (upstream's
 * current position minus replay) when the agent knows it, else receive minus replay (the journey's rule).
 */
public final class LagHistory {
  private final Supplier<List<NodeView>> nodes;
  private final Clock clock;
  private final int capacity;
  private final Map<String, Deque<long[]>> samples = new LinkedHashMap<>();

  /** @param nodes the directory's current view of every node (in memory: cheap on an event loop) */
  public LagHistory(Supplier<List<NodeView>> nodes, Clock clock, int capacity) {
    this.nodes = nodes;
    this.clock = clock;
    this.capacity = capacity;
  }

  /** Records one sample per node that has reported a status. */
  public synchronized void sample() {
    long now = clock.millis();
    for (NodeView node : nodes.get()) {
      Status s = node.status();
      if (s == null || s.getSeq() == 0) {
        continue;
      }
      long lag = s.getReplayLagBytes();
      Deque<long[]> series = samples.computeIfAbsent(node.nodeId(), k -> new ArrayDeque<>());
      series.addLast(new long[] {now, node.connected() ? lag : -1});
      while (series.size() > capacity) {
        series.removeFirst();
      }
    }
  }

  /** {@code {"capacity": N, "nodes": {"b": [[epoch_ms, lag_bytes], ...]}}}; lag -1: not connected or unknown. */
  public synchronized JsonObject json() {
    JsonObject nodes = new JsonObject();
    samples.forEach((id, series) -> {
      JsonArray points = new JsonArray();
      series.forEach(p -> points.add(new JsonArray().add(p[0]).add(p[1])));
      nodes.put(id, points);
    });
    return new JsonObject().put("capacity", capacity).put("nodes", nodes);
  }
}
