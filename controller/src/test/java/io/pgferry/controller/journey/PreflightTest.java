package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.Preflight.Fact;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.proto.Disk;
import io.pgferry.proto.Goal;
import io.pgferry.proto.Hello;
import io.pgferry.proto.Status;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PreflightTest {
  final Plan plan = TestPlans.load(TestPlans.TEXT).plan();

  static Optional<NodeView> node(String id, int major, long freeBytes, boolean connected) {
    return Optional.of(new NodeView(id, Hello.newBuilder().setNodeId(id).setPgMajor(major).build(),
        Status.newBuilder().setNodeId(id).setDisk(Disk.newBuilder().setDataDirFreeBytes(freeBytes)).build(),
        Goal.getDefaultInstance(), connected, Instant.EPOCH, Optional.empty()));
  }

  @Test
  void greenWhenEverythingHolds() {
    Preflight.Report r = Preflight.evaluate(plan, new Preflight.Facts(node("a", 15, 2000, true),
        node("b", 15, 2000, true), Fact.of(0),
        Fact.of(Optional.of(new ArchiveInspector.Backup("base_000000010000000000000002_00000040", 1000, 15, Instant.EPOCH))),
        Fact.of(170002)));
    assertTrue(r.green(), r.blockers().toString());
  }

  @Test
  void reportsEveryBlockerAtOnce() {
    Preflight.Report r = Preflight.evaluate(plan, new Preflight.Facts(Optional.empty(), node("b", 17, 1100, false),
        Fact.of(0),
        Fact.of(Optional.of(new ArchiveInspector.Backup("base_000000010000000000000002_00000040", 1000, 0, Instant.EPOCH))),
        Fact.failed("Connection to 127.0.0.1:1 refused")));
    List<String> b = r.blockers();
    assertEquals(5, b.size(), String.join("\n", b));
    assertTrue(b.get(0).startsWith("node a (archive replica (A)): no agent with this id has connected"), b.get(0));
    assertTrue(b.get(1).startsWith("node b (standby (B)): agent not connected"), b.get(1));
    assertTrue(b.get(2).startsWith("node b: its PostgreSQL binaries are version 17 but source.pg_major is 15"), b.get(2));
    assertTrue(b.get(3).startsWith("node b: 1100 bytes free"), b.get(3));
    assertEquals("target: cannot connect (Connection to 127.0.0.1:1 refused)", b.get(4));
    Preflight.Report withTarget = Preflight.evaluate(plan, new Preflight.Facts(node("a", 15, 5000, true),
        node("b", 15, 5000, true), Fact.of(0), Fact.of(Optional.empty()), Fact.failed("Connection refused")));
    assertEquals(List.of("archive file:///nonexistent/archive: holds no complete base backup (no backup sentinel)",
        "target: cannot connect (Connection refused)"), withTarget.blockers());
  }
}
