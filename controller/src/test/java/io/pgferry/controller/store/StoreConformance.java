package io.pgferry.controller.store;

import io.pgferry.controller.journey.StoreSuperseded;
import io.pgferry.controller.journey.JournalStore;
import io.pgferry.controller.journey.ControllerStore;
import io.pgferry.controller.link.AddressRecords;
import io.pgferry.controller.link.GoalRecords;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JournalRecord;
import io.pgferry.controller.journey.JournalRecord.Event;
import io.pgferry.controller.journey.Phase;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.NodeState;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every {@link ControllerStore} must do; run against the file store and the etcd store. */
abstract class StoreConformance {
  /** A fresh, empty store (a new state dir, a new etcd prefix); each call with the same name sees the same data. */
  abstract ControllerStore store(String name) throws Exception;

  /** Whether several controllers share it (the compare-and-set tests apply). */
  abstract boolean shared();

  @Test
  void journalRecordsSurviveAReopenInOrder() throws Exception {
    try (ControllerStore s = store("reopen"); JournalStore j = s.openJournal(Clock.systemUTC())) {
      j.append(Event.JOURNEY_STARTED, null, null, "go", Map.of("plan_sha256", "abc"));
      j.append(Event.PHASE_STARTED, Phase.PREFLIGHT, null, null, Map.of());
      j.append(Event.STEP_STARTED, Phase.PREFLIGHT, "preflight.check", null, null);
    }
    try (ControllerStore s = store("reopen"); JournalStore j = s.openJournal(Clock.systemUTC())) {
      List<JournalRecord> rs = j.records();
      assertEquals(List.of(1L, 2L, 3L), rs.stream().map(JournalRecord::seq).toList());
      assertEquals("abc", j.state().planFingerprint().orElseThrow());
      assertEquals(Phase.PREFLIGHT, j.state().phase().orElseThrow());
      assertEquals(4L, j.append(Event.STEP_DONE, Phase.PREFLIGHT, "preflight.check", "ok", Map.of()).seq());
      assertTrue(j.state().isDone("preflight.check"));
    }
  }

  @Test
  void goalsAndPlanCopyRoundTrip() throws Exception {
    Goal a = Goal.newBuilder().setState(NodeState.PRIMARY).setGeneration(3).build();
    try (ControllerStore s = store("goals")) {
      assertEquals(Map.of(), s.goals().load());
      assertTrue(s.planCopy().read().isEmpty());
      s.goals().save(Map.of("a", a));
      s.planCopy().write("name: x\n");
    }
    try (ControllerStore s = store("goals")) {
      assertEquals(Map.of("a", a), s.goals().load());
      assertEquals("name: x\n", s.planCopy().read().orElseThrow());
      s.planCopy().write("name: y\n"); // read, then replaced (a second apply)
      s.goals().save(Map.of());
      assertEquals("name: y\n", s.planCopy().read().orElseThrow());
      assertEquals(Map.of(), s.goals().load());
    }
  }

  @Test
  void nodeAddressesAndBootstrapSuperuserRoundTripWithoutTheGoalTheAgentHeld() throws Exception {
    Hello a = Hello.newBuilder().setNodeId("a").setHost("10.0.0.5").setPgPort(5432).setPgMajor(15)
        .addCapabilities("archive").setCurrentState(NodeState.PRIMARY)
        .setCurrentGoal(Goal.newBuilder().setState(NodeState.PRIMARY).setGeneration(7)).build();
    try (ControllerStore s = store("addresses")) {
      assertEquals(Map.of(), s.addresses().load());
      s.addresses().save(Map.of("a", new AddressRecords.KnownNode(a, "postgres")));
    }
    try (ControllerStore s = store("addresses")) {
      assertEquals("postgres", s.addresses().load().get("a").bootstrapSuperuser());
      Hello kept = s.addresses().load().get("a").hello();
      assertEquals("10.0.0.5", kept.getHost());
      assertEquals(5432, kept.getPgPort());
      assertEquals(List.of("archive"), kept.getCapabilitiesList());
      assertEquals(0, kept.getCurrentGoal().getGeneration(), "what the agent held is not an address");
      s.addresses().save(Map.of()); // read, then replaced
      assertEquals(Map.of(), s.addresses().load());
    }
  }

  @Test
  void aJournalRecordIsWrittenOnceWhenTwoControllersAppend() throws Exception {
    if (!shared()) {
      return; // one controller per state dir: nothing to race with
    }
    try (ControllerStore s1 = store("race"); ControllerStore s2 = store("race");
         JournalStore j1 = s1.openJournal(Clock.systemUTC()); JournalStore j2 = s2.openJournal(Clock.systemUTC())) {
      j1.append(Event.JOURNEY_STARTED, null, null, "first", Map.of());
      // j2 read before record 1 existed: its record 1 must not overwrite j1's
      StoreSuperseded e = assertThrows(StoreSuperseded.class,
          () -> j2.append(Event.JOURNEY_STARTED, null, null, "second", Map.of()));
      assertTrue(e.getMessage().contains("record 1"), e.getMessage());
      assertEquals(List.of("first"), j2.records().stream().map(JournalRecord::message).toList(),
          "the loser reads the winner's record");
      assertEquals(2L, j2.append(Event.PHASE_STARTED, Phase.PREFLIGHT, null, null, Map.of()).seq(),
          "having read it, it appends after it");
    }
  }

  @Test
  void goalsWrittenByAnotherControllerSinceTheLastReadAreNotOverwritten() throws Exception {
    if (!shared()) {
      return;
    }
    Goal a = Goal.newBuilder().setState(NodeState.PRIMARY).setGeneration(1).build();
    Goal b = Goal.newBuilder().setState(NodeState.FENCED).setGeneration(2).build();
    try (ControllerStore s1 = store("goalrace"); ControllerStore s2 = store("goalrace")) {
      GoalRecords g1 = s1.goals();
      GoalRecords g2 = s2.goals();
      g1.load();
      g2.load();
      g1.save(Map.of("a", a));
      assertThrows(StoreSuperseded.class, () -> g2.save(Map.of("a", b)));
      assertEquals(Map.of("a", a), g2.load());
      g2.save(Map.of("a", b));
      assertThrows(StoreSuperseded.class, () -> g1.save(Map.of("a", a)), "g1's last write is stale now");
      assertEquals(Map.of("a", b), g1.load());
      g1.save(Map.of("a", a)); // having read it, g1 may write again
      try (ControllerStore s3 = store("goalrace")) {
        assertEquals(Map.of("a", a), s3.goals().load());
      }
    }
  }
}
