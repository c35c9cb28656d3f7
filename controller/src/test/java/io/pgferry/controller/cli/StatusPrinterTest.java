package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.controller.journey.JourneyJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StatusPrinterTest {
  @Test
  void controlPlaneShowsTheLeaderEachControllerEtcdAndEachPrimarysFailsafeState() throws Exception {
    JsonNode status = JourneyJson.MAPPER.readTree("""
        {"state": "RUNNING", "phase": "LOGICAL_SYNC", "phases": [], "nodes": [],
         "control_plane": {"store": "etcd", "self": "10.0.0.2:7402", "leading": false, "leader": "10.0.0.3:7402",
           "leader_changes": 2,
           "controllers": [
             {"address": "10.0.0.2:7402", "leading": false, "last_seen": "x", "last_seen_age_ms": 400, "healthy": true},
             {"address": "10.0.0.3:7402", "leading": true, "last_seen": "x", "last_seen_age_ms": 900, "healthy": true},
             {"address": "10.0.0.4:7402", "leading": false, "last_seen": "x", "last_seen_age_ms": 42000, "healthy": false}],
           "etcd": {"healthy": 2, "members": 3, "endpoints": [{"endpoint": "10.0.0.11:2379", "healthy": true},
             {"endpoint": "10.0.0.12:2379", "healthy": true}, {"endpoint": "10.0.0.13:2379", "healthy": false}]},
           "primaries": [{"node": "a", "connected": true, "lease_remaining_ms": null, "failsafe_serving": true,
             "failsafe_standby": "pgferry_b"}]}}
        """);
    String text = print(status);
    assertTrue(text.contains("control plane: etcd; controller 10.0.0.3:7402 leads; 2 leader change(s) seen by 10.0.0.2:7402;"
        + " etcd 2/3 members healthy"), text);
    assertTrue(text.contains("controller 10.0.0.3:7402         leader   seen 0.9 s ago"), text);
    assertTrue(text.contains("controller 10.0.0.4:7402         follower DOWN, last seen 42.0 s ago"), text);
    assertTrue(text.contains("etcd member 10.0.0.13:2379: NOT healthy"), text);
    assertTrue(text.contains("primary a: lease none from this controller, FAILSAFE: serving on pgferry_b's evidence"), text);
  }

  @Test
  void embeddedStoreSaysOneController() throws Exception {
    JsonNode status = JourneyJson.MAPPER.readTree("""
        {"state": "IDLE", "phases": [], "nodes": [], "control_plane": {"store": "embedded", "leading": true, "leader_changes": 0,
         "controllers": [], "primaries": [{"node": "a", "connected": true, "lease_remaining_ms": 4200, "failsafe_serving": false,
         "failsafe_standby": ""}, {"node": "b", "connected": true, "lease_remaining_ms": null, "failsafe_serving": true,
         "failsafe_standby": ""}]}}
        """);
    String text = print(status);
    assertTrue(text.contains("control plane: embedded store, one controller"), text);
    assertTrue(text.contains("primary a: lease 4.2 s left, serving"), text);
    assertTrue(text.contains("primary b: lease none from this controller, FAILSAFE: serving alone (its goal names no standby"), text);
  }

  private static String print(JsonNode status) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    StatusPrinter.print(status, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
