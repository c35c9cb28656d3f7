package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What `pgferry status` shows of a node whose link is down: not the lease of its last report. */
class NodeLineTest {
  private static final Instant NOW = Instant.parse("2026-12-05T01:00:00Z");
  private static final Status LAST = Status.newBuilder().setState(NodeState.PRIMARY).setLeaseRemainingMs(4000).build();

  @Test
  void aDeadNodesLeaseIsWhatTheControllerGranted() {
    NodeView dead = new NodeView("a", null, LAST, null, false, NOW.minusSeconds(30), Optional.of(NOW.minusSeconds(25)));
    assertEquals(0, JourneyService.nodeLine(dead, null, NOW).leaseRemainingMs(), "expired, not the 4 s of its last report");
    NodeView unknown = new NodeView("a", null, LAST, null, false, NOW.minusSeconds(30), Optional.empty());
    assertEquals(-1, JourneyService.nodeLine(unknown, null, NOW).leaseRemainingMs());
    NodeView alive = new NodeView("a", null, LAST, null, true, NOW, Optional.of(NOW.plusSeconds(5)));
    assertEquals(4000, JourneyService.nodeLine(alive, null, NOW).leaseRemainingMs());
  }
}
