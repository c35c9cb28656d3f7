package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Cli;
import io.pgferry.controller.journey.JourneyAssembly;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.journey.PhaseRule;
import io.pgferry.controller.journey.Step;
import io.pgferry.controller.journey.steps.JourneySteps;
import io.pgferry.controller.journey.wiring.JourneyWiring;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * `pgferry plan` on the sample plan prints exactly the golden file. After an intended change, regenerate with
 * {@code -Dgolden.update=true} and read the diff.
 */
class PlanCommandGoldenTest {
  private static final Path RESOURCES = Path.of("src/test/resources/plan");

  @Test
  void printsEveryPhaseAndStepOfTheSamplePlan() throws Exception {
    String out = run("plan", "--without-secrets", "--plan", RESOURCES.resolve("sample-plan.yaml").toString());
    Path golden = RESOURCES.resolve("sample-plan.golden.txt");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, out);
    }
    assertEquals(Files.readString(golden), out);
    for (String mustShow : new String[] {"PAUSE appdb (", "RELOAD;", "RESUME appdb;",
        "ALTER DATABASE \"appdb\" SET default_transaction_read_only = on", "SELECT pg_current_wal_lsn();",
        "POINT OF NO RETURN", "goal of a := ARCHIVE_REPLICA{archive_url: s3://heroku-wal-export/myapp",
        "undo cutover_1.undo.unblock_app"}) {
      assertTrue(out.contains(mustShow), "missing: " + mustShow);
    }
  }

  @Test
  void printsTheHerokuSwitchCalls() throws Exception {
    String out = run("plan", "--without-secrets", "--plan", RESOURCES.resolve("heroku-plan.yaml").toString());
    Path golden = RESOURCES.resolve("heroku-plan.golden.txt");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, out);
    }
    assertEquals(Files.readString(golden), out);
    assertTrue(out.contains("PATCH https://api.heroku.com/apps/myapp {\"maintenance\": true}"), out);
    assertTrue(out.contains("/config-vars {\"AURORA_MASTER_DATABASE_URL\""), out);
    assertTrue(out.contains("no source.url: the source database is not fenced"), out);
  }

  @Test
  void aBadPlanExitsTwoWithEveryError() throws Exception {
    Path bad = Files.createTempFile("plan", ".yaml");
    Files.writeString(bad, "source: {}\narchive:\n  url: nope\nnodes: {archive_replica: a, standby: a}\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Cli.execute(new PgferryMain(), "plan", "--plan", bad.toString());
    } finally {
      System.setErr(old);
      Files.delete(bad);
    }
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(2, code, text);
    assertTrue(text.contains(":3:8: error: archive.url: archive URL 'nope' has no scheme"), text);
    assertTrue(text.contains(":4:38: error: nodes.standby: must be another node"), text);
    assertTrue(text.contains("missing key 'target'"), text);
  }

  /**
   * What `pgferry plan` lists is what the engine runs: per phase, the steps in the table's order that the assembly
   * built (the engine's step list), each with the lines its own describe() gives; the undo steps likewise, each with
   * the table's line on what stays when it fails; the FAILOVER and point-of-no-return lines are the table's.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sample-plan.yaml", "heroku-plan.yaml"})
  void listsTheEnginesStepsWithTheirOwnDescriptions(String file) throws Exception {
    String out = run("plan", "--without-secrets", "--plan", RESOURCES.resolve(file).toString());
    Plan plan = PlanLoader.load(RESOURCES.resolve(file)).plan();
    JourneyAssembly journey = JourneySteps.with(JourneyWiring.defaults());
    Map<String, Step> steps = journey.steps(plan, journey.ports(plan, null));
    Map<Phase, String> sections = sections(out);
    for (PhaseRule rule : JourneyTable.rules()) {
      String section = sections.get(rule.phase());
      List<String> expected = new ArrayList<>();
      int n = 1;
      for (String id : rule.steps()) {
        if (steps.containsKey(id)) {
          expected.add("  " + n++ + ". " + id);
          steps.get(id).describe().forEach(l -> expected.add("       " + l));
        }
      }
      for (String id : rule.undoSteps()) {
        if (steps.containsKey(id)) {
          expected.add("  undo " + id);
          steps.get(id).describe().forEach(l -> expected.add("       " + l));
          expected.add("       if it fails: " + rule.ifUndoFails().get(id));
        }
      }
      List<String> listed = section.lines().filter(l -> l.matches("  (\\d+\\.|undo) .*") || l.startsWith("       "))
          .map(l -> l.startsWith("       ") ? l : l.replaceAll("  \\[.*$", "")).toList();
      assertEquals(expected, listed, rule.phase() + " in " + file);
      rule.noWayBack().ifPresent(s -> assertTrue(section.contains(s), rule.phase() + ": " + s));
      assertTrue(section.contains("  next: " + JourneyTable.describeNext(rule.phase())) || rule.phase() == Phase.DONE);
    }
    String failover = sections.get(Phase.FAILOVER);
    for (Phase p : Phase.values()) {
      assertEquals(JourneyTable.failoverReachableFrom(p), failover.lines().filter(l -> l.startsWith("  reachable from: "))
          .anyMatch(l -> List.of(l.substring(18).replaceAll(" \\([^)]*\\)", "").split(", ")).contains(p.name())), p.name());
      JourneyTable.failoverClosedBy(p).ifPresent(id -> assertTrue(failover.contains(p + " (until " + id + " starts)"), id));
    }
  }

  /** The plan's text cut at each phase's heading. */
  private static Map<Phase, String> sections(String out) {
    Map<Phase, String> sections = new EnumMap<>(Phase.class);
    Phase at = null;
    StringBuilder text = new StringBuilder();
    for (String line : (out + "\n").lines().toList()) {
      Phase heading = List.of(Phase.values()).stream().filter(p -> p.name().equals(line)).findFirst().orElse(null);
      if (line.startsWith("`pgferry finish`")) { // after the phases: not one of them
        sections.put(at, text.toString());
        at = null;
      } else if (heading != null) {
        if (at != null) {
          sections.put(at, text.toString());
        }
        at = heading;
        text.setLength(0);
      } else if (at != null) {
        text.append(line).append("\n");
      }
    }
    if (at != null) {
      sections.put(at, text.toString());
    }
    return sections;
  }

  static String run(String... args) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Cli.execute(new PgferryMain(), args));
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
