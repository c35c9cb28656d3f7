package io.pgferry.controller.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlanLoaderTest {
  private static final String GOOD = """
      source:
        url: env:SRC
        archive_timeout: 30s
      archive:
        url: file:///var/lib/archive
      nodes:
        archive_replica: a
        standby: b
      target:
        url: env:TGT
      app:
        dbname: appdb
        user: app
        password: env:APP_PW
      switch:
        type: command
        command:
          block: /bin/true
          repoint: /bin/true
          unblock: /bin/true
      """;

  @Test
  void readsAGoodPlanWithDefaults() {
    Plan p = PlanLoader.parse("plan.yaml", GOOD, Set.of("a", "b")).plan();
    assertEquals(Duration.ofSeconds(30), p.source().archiveTimeout());
    assertEquals("a", p.nodes().archiveReplica());
    assertEquals(Plan.SwitchType.COMMAND, p.switchSpec().type());
    assertEquals(Plan.Durability.SYNC, p.durability());
    assertEquals(Duration.ofMinutes(5), p.thresholds().timeouts().cutover1());
    assertEquals(2, p.thresholds().archiveLagSegments());
  }

  @Test
  void theSamplePlanIsValid() {
    PlanLoader.Loaded loaded = PlanLoader.load(Path.of("../examples/plan.yaml"));
    assertEquals(Plan.SwitchType.PGBOUNCER, loaded.plan().switchSpec().type());
    assertTrue(loaded.warnings().isEmpty(), loaded.warnings().toString());
  }

  @Test
  void reportsEveryErrorWithItsLine() {
    String bad = """
        source:
          url: env:SRC
          archive_timeot: 30s
        archive:
          url: ftp://somewhere/archive
        nodes:
          archive_replica: a
          standby: A_B
        target:
          url: mysql://x
        app:
          dbname: appdb
        switch:
          type: pgbouncer
        thresholds:
          max_lag_bytes: lots
          timeouts:
            cutover_1: 10
        durability: sometimes
        """;
    PlanException e = assertThrows(PlanException.class, () -> PlanLoader.parse("plan.yaml", bad, null));
    List<String> lines = e.problems().stream().filter(PlanProblem::isError).map(p -> p.format("plan.yaml")).toList();
    assertContains(lines, "plan.yaml:3:3: error: source.archive_timeot: unknown key 'archive_timeot'");
    assertContains(lines, "plan.yaml:5:8: error: archive.url: archive URL 'ftp://somewhere/archive': scheme 'ftp' is not supported");
    assertContains(lines, "plan.yaml:8:12: error: nodes.standby: 'A_B' is not a node id");
    assertContains(lines, "plan.yaml:10:8: error: target.url: expected postgres://");
    assertContains(lines, "plan.yaml:12:3: error: app: missing key 'user'");
    assertContains(lines, "plan.yaml:14:3: error: switch: type is pgbouncer but there is no switch.pgbouncer block");
    assertContains(lines, "plan.yaml:16:18: error: thresholds.max_lag_bytes: expected a whole number, found 'lots'");
    assertContains(lines, "plan.yaml:18:16: error: thresholds.timeouts.cutover_1: '10' is not a duration");
    assertContains(lines, "plan.yaml:19:13: error: durability: 'sometimes' is not one of sync, async");
    assertEquals(9, lines.size(), String.join("\n", lines));
    assertTrue(e.getMessage().startsWith("plan.yaml: 9 errors"), e.getMessage());
  }

  @Test
  void reportsMissingSectionsAndUnknownNodesAndInlineSecrets() {
    String text = GOOD.replace("url: env:TGT", "url: postgres://admin:hunter2@aurora:5432/appdb")
        .replace("standby: b", "standby: c");
    PlanException e = assertThrows(PlanException.class, () -> PlanLoader.parse("p.yaml", text, Set.of("a", "b")));
    List<String> all = e.problems().stream().map(p -> p.format("p.yaml")).toList();
    assertContains(all, "p.yaml:8:12: error: nodes.standby: unknown node id 'c' (the controller knows: a, b)");
    assertContains(all, "p.yaml:10:8: warning: target.url: secret given inline");
    assertTrue(all.stream().noneMatch(l -> l.contains("hunter2")), all.toString());

    PlanException empty = assertThrows(PlanException.class, () -> PlanLoader.parse("p.yaml", "durability: sync\n", null));
    List<String> missing = empty.problems().stream().map(p -> p.message()).toList();
    for (String key : List.of("source", "archive", "nodes", "target", "app", "switch")) {
      assertContains(missing, "missing key '" + key + "'");
    }
  }

  @Test
  void reportsBrokenYamlWithItsLine() {
    PlanException e = assertThrows(PlanException.class,
        () -> PlanLoader.parse("p.yaml", "source:\n  url: [unclosed\narchive: {}\n", null));
    assertEquals(1, e.problems().size());
    assertTrue(e.problems().get(0).line() >= 2, e.problems().toString());
    assertTrue(e.problems().get(0).message().startsWith("not valid YAML"), e.problems().toString());
  }

  @Test
  void cutoverTimeoutMustExceedArchiveTimeout() {
    String text = GOOD + "thresholds:\n  timeouts:\n    cutover_1: 20s\n";
    PlanException e = assertThrows(PlanException.class, () -> PlanLoader.parse("p.yaml", text, null));
    assertContains(e.problems().stream().map(p -> p.format("p.yaml")).toList(),
        "p.yaml:23:16: error: thresholds.timeouts.cutover_1: 20s is not longer than source.archive_timeout (30s)");
  }

  private static void assertContains(List<String> lines, String prefix) {
    assertTrue(lines.stream().anyMatch(l -> l.startsWith(prefix) || l.contains(prefix)),
        "no line starting with\n  " + prefix + "\nin\n  " + String.join("\n  ", lines));
  }
}
