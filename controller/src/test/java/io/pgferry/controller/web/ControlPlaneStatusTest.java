package io.pgferry.controller.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.controller.journey.JourneyJson;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.store.ControlPlane;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ControlPlaneStatusTest {
  private static final Instant NOW = Instant.parse("2026-12-05T01:00:00Z");

  @Test
  void etcdControllersLeaderEtcdMembersAndPrimariesInSnakeCaseJson() throws Exception {
    Map<String, Boolean> members = new LinkedHashMap<>();
    members.put("10.0.0.11:2379", true);
    members.put("10.0.0.12:2379", true);
    members.put("10.0.0.13:2379", false);
    ControlPlane cp = new ControlPlane("etcd", "10.0.0.2:7402", false, "10.0.0.3:7402", 2, List.of(
        new ControlPlane.Controller("10.0.0.2:7402", true, NOW.minusMillis(400)), // its heartbeat before it lost the lead
        new ControlPlane.Controller("10.0.0.3:7402", true, NOW.minusMillis(900)),
        new ControlPlane.Controller("10.0.0.4:7402", false, NOW.minusSeconds(42))), members, Duration.ofSeconds(3));
    List<NodeView> nodes = List.of(
        node("a", Goal.newBuilder().setState(NodeState.PRIMARY).setGeneration(3).setFailsafeStandby("pgferry_b").build(),
            Status.newBuilder().setState(NodeState.PRIMARY).setFailsafeServing(true).build(), Optional.empty()),
        node("b", Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setGeneration(2).build(),
            Status.newBuilder().setState(NodeState.STREAMING_STANDBY).build(), Optional.empty()),
        node("old", Goal.newBuilder().setState(NodeState.FENCED).setGeneration(4).build(),
            Status.newBuilder().setState(NodeState.PRIMARY).build(), Optional.empty()), // its last word before it died
        node("t", Goal.getDefaultInstance(), Status.newBuilder().setState(NodeState.PRIMARY).build(), Optional.of(NOW.plusMillis(3500))));

    JsonNode json = JourneyJson.MAPPER.readTree(JourneyJson.MAPPER.writeValueAsString(ControlPlaneStatus.of(cp, nodes, NOW)));

    assertEquals("etcd", json.path("store").asText());
    assertFalse(json.path("leading").asBoolean());
    assertEquals("10.0.0.3:7402", json.path("leader").asText());
    assertEquals(2, json.path("leader_changes").asLong());
    JsonNode controllers = json.path("controllers");
    assertEquals(3, controllers.size());
    assertFalse(controllers.get(0).path("leading").asBoolean(), "the leader key decides, not a stale heartbeat");
    assertTrue(controllers.get(1).path("leading").asBoolean());
    assertEquals(900, controllers.get(1).path("last_seen_age_ms").asLong());
    assertTrue(controllers.get(1).path("healthy").asBoolean());
    assertFalse(controllers.get(2).path("healthy").asBoolean(), "not seen for longer than the lease ttl");
    assertEquals(2, json.path("etcd").path("healthy").asInt());
    assertEquals(3, json.path("etcd").path("members").asInt());
    assertFalse(json.path("etcd").path("endpoints").get(2).path("healthy").asBoolean());
    JsonNode primaries = json.path("primaries");
    assertEquals(2, primaries.size(), "a (goal) and t (no goal, its state) are primaries; b and the fenced old one are not: " + primaries);
    assertEquals("a", primaries.get(0).path("node").asText());
    assertTrue(primaries.get(0).path("failsafe_serving").asBoolean());
    assertEquals("pgferry_b", primaries.get(0).path("failsafe_standby").asText());
    assertFalse(primaries.get(0).hasNonNull("lease_remaining_ms"), "no lease from this controller");
    assertEquals(3500, primaries.get(1).path("lease_remaining_ms").asLong());
  }

  @Test
  void embeddedStoreHasNoEtcdAndNoControllerList() {
    ControlPlaneStatus s = ControlPlaneStatus.of(ControlPlane.embedded(), List.of(), NOW);
    assertEquals("embedded", s.store());
    assertTrue(s.leading());
    assertNull(s.etcd());
    assertTrue(s.controllers().isEmpty());
  }

  private static NodeView node(String id, Goal goal, Status status, Optional<Instant> lease) {
    return new NodeView(id, null, status, goal, true, NOW.minusMillis(200), lease);
  }
}
