package io.pgferry.controller.journey;

import io.pgferry.controller.store.FileStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.UsageException;
import io.pgferry.controller.sql.slots.PhysicalSlots;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.standby.AddStandby;
import io.pgferry.controller.standby.StandbySlots;
import io.pgferry.controller.standby.SyncWatch;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `pgferry add-standby` decisions against the in-memory directory (the e2e AddStandbyIT runs it for real). */
class AddStandbyTest {
  private static final String PLAN = PlanBuilder.plan().archive("file:///var/tmp/none")
      .target("postgresql://postgres@127.0.0.1:1/appdb").app("appdb", "postgres").yaml();

  @TempDir
  Path dir;

  /** Slots on the primary as a map name -> active; records what add-standby asked for. */
  static final class FakeSlots implements StandbySlots {
    final Map<String, Boolean> slots = new HashMap<>();
    final List<String> calls = new ArrayList<>();

    @Override
    public PhysicalSlots.Outcome renew(Plan plan, NodeView primary, String slot) {
      calls.add("renew " + slot + " on " + primary.nodeId());
      if (Boolean.TRUE.equals(slots.get(slot))) {
        return PhysicalSlots.Outcome.KEPT;
      }
      return slots.put(slot, false) == null ? PhysicalSlots.Outcome.CREATED : PhysicalSlots.Outcome.RENEWED;
    }

    @Override
    public PhysicalSlots.Outcome ensure(Plan plan, NodeView primary, String slot) {
      calls.add("ensure " + slot + " on " + primary.nodeId());
      return slots.putIfAbsent(slot, false) == null ? PhysicalSlots.Outcome.CREATED : PhysicalSlots.Outcome.EXISTED;
    }
  }

  final FakeSlots slots = new FakeSlots();

  private <T> T with(InMemoryNodeDirectory nodes, Body<T> body) throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(JourneyService.PLAN_COPY), PLAN);
    try (JourneyService journey = new JourneyService(new FileStore(dir), nodes, InMemoryAFence.live(dir), Clock.systemUTC());
         SyncWatch sync = new SyncWatch(journey, nodes, Clock.systemUTC())) {
      assertTrue(journey.plan().isPresent(), "the plan parses");
      return body.run(new AddStandby(journey, nodes, sync, slots), journey);
    }
  }

  interface Body<T> {
    T run(AddStandby add, JourneyService journey) throws Exception;
  }

  private static InMemoryNodeDirectory afterFailover() {
    InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.1", 5432, 15).add("b", "10.0.0.2", 5433, 15);
    nodes.goals.put("a", Goal.newBuilder().setState(NodeState.FENCED).setGeneration(3).build());
    nodes.goals.put("b", Goal.newBuilder().setState(NodeState.PRIMARY).setGeneration(2).build());
    return nodes;
  }

  @Test
  void oldPrimaryBecomesRebuiltStandbyOfThePrimaryOnce() throws Exception {
    InMemoryNodeDirectory nodes = afterFailover();
    with(nodes, (add, journey) -> {
      String msg = add.add("a", null);
      assertTrue(msg.contains("a := STREAMING_STANDBY of b with rebuild"), msg);
      Goal a = nodes.goals.get("a");
      assertEquals(NodeState.STREAMING_STANDBY, a.getState());
      assertTrue(a.getRebuild());
      assertEquals("10.0.0.2", a.getUpstream().getHost());
      assertEquals(5433, a.getUpstream().getPort());
      assertEquals("pgferry_a", a.getUpstream().getApplicationName());
      assertEquals("pgferry_a", a.getUpstream().getSlotName(), "a streams through its own slot on b");
      assertEquals(List.of("renew pgferry_a on b"), slots.calls, "the slot is made before a is assigned");
      assertTrue(msg.contains("physical slot pgferry_a created on b"), msg);
      Goal b = nodes.goals.get("b");
      assertEquals(NodeState.PRIMARY, b.getState());
      assertEquals("10.0.0.1/32", b.getHbaRules(0).getAddress());
      assertEquals("replication", b.getHbaRules(0).getDatabase());
      long decisions = journey.status().recent().stream().filter(r -> r.event() == JournalRecord.Event.DECISION).count();
      assertEquals(1, decisions);

      String again = add.add("a", null);
      assertTrue(again.contains("nothing to do"), again);
      assertEquals(a, nodes.goals.get("a"));
      assertEquals(b, nodes.goals.get("b"));
      assertEquals(decisions, journey.status().recent().stream().filter(r -> r.event() == JournalRecord.Event.DECISION).count());
      assertEquals(List.of("renew pgferry_a on b", "ensure pgferry_a on b"), slots.calls, "a second run drops nothing");

      slots.slots.clear(); // dropped by hand: a run that assigns nothing creates it again
      String recreated = add.add("a", null);
      assertTrue(recreated.contains("physical slot pgferry_a created on b"), recreated);
      assertEquals(a, nodes.goals.get("a"));
      return null;
    });
  }

  @Test
  void aSlotTheLostNodeLeftIsRenewed() throws Exception {
    InMemoryNodeDirectory nodes = afterFailover();
    slots.slots.put("pgferry_a", false); // inactive: a was added once before and lost again
    with(nodes, (add, journey) -> {
      String msg = add.add("a", null);
      assertTrue(msg.contains("physical slot pgferry_a on b dropped (inactive, left by the lost node) and created afresh"), msg);
      assertEquals("pgferry_a", nodes.goals.get("a").getUpstream().getSlotName());
      JournalRecord decision = journey.status().recent().stream().filter(r -> r.event() == JournalRecord.Event.DECISION)
          .reduce((x, y) -> y).orElseThrow();
      assertEquals("RENEWED", decision.evidence().get("slot_action"));
      assertEquals("pgferry_a", decision.evidence().get("slot"));
      return null;
    });
  }

  @Test
  void clearErrors() throws Exception {
    InMemoryNodeDirectory nodes = afterFailover();
    with(nodes, (add, journey) -> {
      assertTrue(assertThrows(UsageException.class, () -> add.add("b", null)).getMessage().contains("b is the primary"));
      assertTrue(assertThrows(UsageException.class, () -> add.add("zz", null)).getMessage().contains("unknown node 'zz'"));
      assertTrue(assertThrows(UsageException.class, () -> add.add("a", "a")).getMessage().contains("itself"));
      nodes.goals.put("b", Goal.newBuilder().setState(NodeState.FENCED).setGeneration(4).build());
      assertTrue(assertThrows(IllegalStateException.class, () -> add.add("a", null)).getMessage().contains("no primary known"));
      return null;
    });
  }

  @Test
  void beforeCutover1TheStandbyStreamsAgainFromTheArchiveReplica() throws Exception {
    InMemoryNodeDirectory nodes = new InMemoryNodeDirectory().add("a", "10.0.0.1", 5432, 15).add("b", "10.0.0.2", 5433, 15);
    nodes.goals.put("a", Goal.newBuilder().setState(NodeState.ARCHIVE_REPLICA).setArchiveUrl("file:///var/tmp/none")
        .setGeneration(1).build());
    nodes.goals.put("b", Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setGeneration(1)
        .setUpstream(Upstream.newBuilder().setHost("10.0.0.1").setPort(5432).setApplicationName("pgferry_b")
            .setSlotName("b_phys")).build());
    with(nodes, (add, journey) -> {
      String msg = add.add("b", null);
      assertTrue(msg.contains("b := STREAMING_STANDBY of a with rebuild"), msg);
      Goal b = nodes.goals.get("b");
      assertTrue(b.getRebuild());
      assertEquals("b_phys", b.getUpstream().getSlotName(), "the journey's upstream settings are kept");
      assertEquals(List.of(), slots.calls, "no slot on an archive replica upstream (the journey's stays)");
      assertEquals(NodeState.ARCHIVE_REPLICA, nodes.goals.get("a").getState());
      assertTrue(assertThrows(IllegalStateException.class, () -> add.add("a", null)).getMessage()
          .contains("no primary known"));
      return null;
    });
  }
}
