package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.Preflight.Fact;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.sql.TypeUsage;
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
        Fact.of(170002), null));
    assertTrue(r.green(), r.blockers().toString());
  }

  @Test
  void reportsEveryBlockerAtOnce() {
    Preflight.Report r = Preflight.evaluate(plan, new Preflight.Facts(Optional.empty(), node("b", 17, 1100, false),
        Fact.of(0),
        Fact.of(Optional.of(new ArchiveInspector.Backup("base_000000010000000000000002_00000040", 1000, 0, Instant.EPOCH))),
        Fact.failed("Connection to 127.0.0.1:1 refused"), null));
    List<String> b = r.blockers();
    assertEquals(5, b.size(), String.join("\n", b));
    assertTrue(b.get(0).startsWith("node a (archive replica (A)): no agent with this id has connected"), b.get(0));
    assertTrue(b.get(1).startsWith("node b (standby (B)): agent not connected"), b.get(1));
    assertTrue(b.get(2).startsWith("node b: its PostgreSQL binaries are version 17 but source.pg_major is 15"), b.get(2));
    assertTrue(b.get(3).startsWith("node b: 1100 bytes free"), b.get(3));
    assertEquals("target: cannot connect (Connection to 127.0.0.1:1 refused)", b.get(4));
    Preflight.Report withTarget = Preflight.evaluate(plan, new Preflight.Facts(node("a", 15, 5000, true),
        node("b", 15, 5000, true), Fact.of(0), Fact.of(Optional.empty()), Fact.failed("Connection refused"), null));
    assertEquals(List.of("archive file:///nonexistent/archive: holds no complete base backup (no backup sentinel)",
        "target: cannot connect (Connection refused)"), withTarget.blockers());
  }

  @Test
  void typesWhoseOidsDifferOnTheTargetNeedAnAppRestartUnlessTheAppDoesNotCacheThem() {
    List<TypeUsage.UsedType> hstore = List.of(new TypeUsage.UsedType("public", "hstore", 16388, "base", "hstore"),
        new TypeUsage.UsedType("shop", "mood", 16400, "enum", ""));
    String logical = TestPlans.engine().logical(l -> l.passwords("pw", null)).yaml();
    Preflight.Report blocked = evaluateWithTypes(logical, Fact.of(hstore));
    assertEquals(1, blocked.blockers().size(), blocked.blockers().toString());
    assertTrue(blocked.blockers().get(0).startsWith("the app's tables use types whose OIDs will differ on the target: "
        + "public.hstore (extension hstore, OID 16388), shop.mood (enum, OID 16400). Clients that cache type OIDs"),
        blocked.blockers().get(0));
    assertTrue(blocked.blockers().get(0).contains("set switch.app_restart"), blocked.blockers().get(0));

    String withHook = TestPlans.engine().logical(l -> l.passwords("pw", null))
        .appRestart("systemctl restart gunicorn").yaml();
    assertTrue(evaluateWithTypes(withHook, Fact.of(hstore)).green());
    String notCached = TestPlans.engine().logical(l -> l.passwords("pw", null)).oidsCachedByApp(false).yaml();
    assertTrue(evaluateWithTypes(notCached, Fact.of(hstore)).green());
    assertTrue(evaluateWithTypes(logical, Fact.of(List.of())).green(), "built-in types only");
    assertTrue(evaluateWithTypes(TestPlans.TEXT, Fact.of(hstore)).green(), "no logical block: no cutover 2");
  }

  private static Preflight.Report evaluateWithTypes(String planText, Fact<List<TypeUsage.UsedType>> types) {
    Plan p = TestPlans.load(planText).plan();
    return Preflight.evaluate(p, new Preflight.Facts(node("a", 15, 2000, true), node("b", 15, 2000, true), Fact.of(0),
        Fact.of(Optional.of(new ArchiveInspector.Backup("base_000000010000000000000002_00000040", 1000, 15, Instant.EPOCH))),
        Fact.of(170002), types));
  }
}
