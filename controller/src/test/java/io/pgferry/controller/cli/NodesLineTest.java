package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** `pgferry nodes`: a node that replays nothing (replay_lag_bytes -1) shows no lag, not "-1 B". */
class NodesLineTest {
  @Test
  void anEmptyNodeShowsNoLag() {
    String line = NodesCommand.line(new JsonObject().put("node_id", "b").put("connected", true)
        .put("status", new JsonObject().put("state", "EMPTY").put("replay_lag_bytes", -1)));
    assertFalse(line.contains("-1 B"), line);
    assertTrue(line.matches("b\\s+-\\s+EMPTY \\(none\\)\\s+-\\s+-\\s+-\\s+never"), line);
  }
}
