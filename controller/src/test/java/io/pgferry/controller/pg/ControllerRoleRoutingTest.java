package io.pgferry.controller.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.proto.HbaRule;
import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The controller's role as the certificate shape routes it: which purposes use it (and only once it exists), the
 * goals' rules that admit it, and `pgferry plan`'s roles lines, which come from the same table.
 */
class ControllerRoleRoutingTest {
  private static final Plan CERT = PlanLoader.parse("p.yaml", PlanBuilder.plan().controllerAddress("10.0.0.9")
      .nodeCertificates(Path.of("/etc/pgferry/controller.pem"), Path.of("/etc/pgferry/controller.key"), null).yaml(), null)
      .plan();
  private static final Plan PASSWORDS = PlanLoader.parse("p.yaml", PlanBuilder.plan().controllerAddress("10.0.0.9").yaml(),
      null).plan();

  @Test
  void probesAndProgressReadsOnlyNeverASuperuserOnlyPurpose() {
    assertEquals(Set.of(Purpose.PROBE, Purpose.CATCH_UP), ControllerRole.dedicatedPurposes());
    for (Purpose p : List.of(Purpose.ADMIN, Purpose.FENCE, Purpose.SCHEMA, Purpose.COPY, Purpose.CUTOVER)) {
      assertFalse(ControllerRole.uses().get(p).dedicated(), p + " keeps the superuser");
      assertFalse(ControllerRole.uses().get(p).why().isBlank());
    }
    PgEndpoint su = new PgEndpoint("10.0.0.5", 5432, "appdb", "postgres", null).withRoles(ControllerRole.routes());
    assertEquals(ControllerRole.NAME, su.userFor(Purpose.PROBE));
    assertEquals("postgres", su.userFor(Purpose.ADMIN));
    assertEquals(ControllerRole.NAME, su.withDatabase("postgres").withAddress("10.0.0.6", 5433).userFor(Purpose.PROBE),
        "the routing survives a change of database or address");
  }

  @Test
  void theCertificateShapeAdmitsTheRoleAndPasswordsDoNot() {
    List<HbaRule> cert = Goals.accessRules(CERT).stream().filter(r -> r.getClientCn().equals(Goals.CONTROLLER_CN)).toList();
    assertEquals(List.of("", ControllerRole.NAME), cert.stream().map(HbaRule::getUser).toList(),
        "the controller's certificate as the bootstrap superuser and as its own role");
    assertTrue(cert.stream().allMatch(r -> r.getType().equals("hostssl") && r.getMethod().equals("cert")
        && r.getAddress().equals("10.0.0.9/32")), cert.toString());
    assertTrue(Goals.accessRules(PASSWORDS).stream().noneMatch(r -> r.getUser().equals(ControllerRole.NAME)));
  }

  @Test
  void planLinesNameEachPurposesRoleFromTheTable() {
    List<String> lines = ConnectionRoles.lines(CERT);
    for (var e : ControllerRole.uses().entrySet()) {
      String expected = "  " + e.getKey().key() + ": " + (e.getValue().dedicated() ? ControllerRole.NAME : "bootstrap superuser")
          + " (" + e.getValue().why() + ")";
      assertTrue(lines.contains(expected), expected + " in " + lines);
    }
    assertTrue(lines.stream().anyMatch(l -> l.contains("logical_setup.controller_role") && l.contains("NOSUPERUSER")
        && l.contains("pg_monitor")), lines.toString());
    assertTrue(ConnectionRoles.lines(PASSWORDS).stream().noneMatch(l -> l.contains(ControllerRole.NAME)));
  }
}
