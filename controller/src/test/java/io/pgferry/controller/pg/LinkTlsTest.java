package io.pgferry.controller.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanException;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.proto.HbaRule;
import io.pgferry.testkit.plan.PlanBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TLS per link and the hosts admitted to A and B, from the plan. */
class LinkTlsTest {
  /** The testkit's minimal plan, with env: references for the URLs (lines "  standby: b" and "  url: env:TGT"). */
  private static final String PLAN = PlanBuilder.plan().source("env:SRC").target("env:TGT").yaml();

  private static Plan plan(String text) {
    return PlanLoader.parse("p.yaml", text, null).plan();
  }

  @Test
  void targetAndNodesDefaultToRequireAndToVerifyFullWithACaFile() {
    Plan p = plan(PLAN);
    assertEquals("require", LinkTls.target(p).mode());
    assertEquals("require", LinkTls.nodes(p).mode());
    assertEquals("require", LinkTls.subscription(p).mode());
    assertEquals("", LinkTls.source(p).mode(), "the source keeps its URL's sslmode (libpq's prefer without one)");
    assertTrue(LinkTls.lines(p).get(2).startsWith("controller -> T: sslmode require: default without target.sslrootcert"),
        LinkTls.lines(p).toString());

    Plan ca = plan(PLAN.replace("  url: env:TGT\n", "  url: env:TGT\n  sslrootcert: /etc/hostname\n"));
    assertEquals(Map.of("sslmode", "verify-full", "sslrootcert", "/etc/hostname"), LinkTls.target(ca).params());
    assertTrue(LinkTls.lines(ca).get(2).contains("verify-full (CA /etc/hostname)"), LinkTls.lines(ca).toString());
  }

  @Test
  void aUrlsOwnSslmodeStaysUnlessAPlanKeyChose() {
    PgEndpoint url = PgEndpoint.parse("postgres://u@t:5432/db?sslmode=verify-ca&sslrootcert=/x.pem");
    Plan p = plan(PLAN);
    assertEquals(url.params(), LinkTls.apply(url, LinkTls.target(p)).params(), "the default does not override the URL");
    Plan chosen = plan(PLAN.replace("  url: env:TGT\n", "  url: env:TGT\n  sslmode: require\n"));
    assertEquals(Map.of("sslmode", "require"), LinkTls.apply(url, LinkTls.target(chosen)).params(),
        "a plan key replaces the URL's mode and drops its CA (with one, libpq's require would check it)");
  }

  @Test
  void planChecksSslKeysAndAdmittedHosts() {
    String bad = PLAN.replace("  standby: b\n", """
          standby: b
          sslmode: verify-full
          controller_address: 10.0.0.0/8
          app_addresses: [10.1.2.3, "0.0.0.0/0"]
        """).replace("  url: env:TGT\n", "  url: env:TGT\n  sslmode: sometimes\n");
    PlanException e = assertThrows(PlanException.class, () -> PlanLoader.parse("p.yaml", bad, null));
    List<String> lines = e.problems().stream().map(x -> x.format("p.yaml")).toList();
    assertTrue(lines.stream().anyMatch(l -> l.contains("nodes.sslrootcert: is missing: sslmode verify-full")), lines.toString());
    assertTrue(lines.stream().anyMatch(l -> l.contains("nodes.controller_address: '10.0.0.0/8' admits more than a /16")), lines.toString());
    assertTrue(lines.stream().anyMatch(l -> l.contains("nodes.app_addresses[1]: '0.0.0.0/0' admits more than a /16")), lines.toString());
    assertTrue(lines.stream().anyMatch(l -> l.contains("target.sslmode: 'sometimes' is not an sslmode")), lines.toString());
    assertEquals(4, lines.size(), String.join("\n", lines));
  }

  @Test
  void aAndBAdmitTheControllerAndTheAppOverTlsFromTheirAddressesOnly() {
    Plan p = plan(PLAN.replace("  standby: b\n", """
          standby: b
          controller_address: 10.0.0.9
          app_addresses: [10.0.1.0/24, "fd00::7"]
        """));
    List<String> rules = Goals.accessRules(p).stream().map(LinkTlsTest::line).toList();
    assertEquals(List.of(
        "hostssl all postgres 10.0.0.9/32 scram-sha-256",
        "hostssl appdb app 10.0.1.0/24 scram-sha-256",
        "hostssl appdb app fd00::7/128 scram-sha-256"), rules);
    assertTrue(Goals.accessRules(plan(PLAN)).isEmpty(), "no address named: only the agent's loopback lines");
    assertFalse(rules.stream().anyMatch(r -> r.startsWith("host ")), "never plain host");
  }

  private static String line(HbaRule r) {
    return String.join(" ", r.getType(), r.getDatabase(), r.getUser(), r.getAddress(), r.getMethod());
  }
}
