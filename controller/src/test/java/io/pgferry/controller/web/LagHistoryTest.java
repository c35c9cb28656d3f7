package io.pgferry.controller.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.Status;
import io.pgferry.testkit.ManualClock;
import io.vertx.core.json.JsonArray;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LagHistoryTest {
  final ManualClock clock = new ManualClock(Instant.ofEpochMilli(1_000_000));
  final List<NodeView> nodes = new ArrayList<>();

  static NodeView node(String id, boolean connected, long seq, long replayLag) {
    Status s = Status.newBuilder().setSeq(seq).setReplayLagBytes(replayLag).build();
    return new NodeView(id, Hello.getDefaultInstance(), s, Goal.getDefaultInstance(), connected, Instant.now(), Optional.empty());
  }

  @Test
  void keepsTheLastReplayLagSamplesPerNodeUnknownAsMinusOne() {
    LagHistory history = new LagHistory(() -> List.copyOf(nodes), clock, 3);
    nodes.add(node("a", true, 0, 0));          // no Status yet: not charted
    nodes.add(node("b", true, 1, 4096));
    history.sample();
    nodes.set(1, node("b", true, 2, 100));     // receive minus replay
    clock.advance(Duration.ofSeconds(1));
    history.sample();
    nodes.set(1, node("b", false, 2, 100));    // link down: unknown
    clock.advance(Duration.ofSeconds(1));
    history.sample();
    nodes.set(1, node("b", true, 3, 7));
    clock.advance(Duration.ofSeconds(1));
    history.sample();

    JsonArray b = history.json().getJsonObject("nodes").getJsonArray("b");
    assertEquals(3, b.size(), "bounded to the capacity: " + b);
    assertEquals(new JsonArray().add(1_001_000L).add(100L), b.getJsonArray(0));
    assertEquals(new JsonArray().add(1_002_000L).add(-1L), b.getJsonArray(1));
    assertEquals(new JsonArray().add(1_003_000L).add(7L), b.getJsonArray(2));
    assertEquals(false, history.json().getJsonObject("nodes").containsKey("a"), "a never reported");
    assertEquals(3, history.json().getInteger("capacity"));
  }
}
