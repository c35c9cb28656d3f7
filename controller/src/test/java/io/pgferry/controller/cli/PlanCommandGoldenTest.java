package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * `pgferry plan` on the sample plan prints exactly the golden file. After an intended change, regenerate with
 * {@code -Dgolden.update=true} and read the diff.
 */
class PlanCommandGoldenTest {
  private static final Path RESOURCES = Path.of("src/test/resources/plan");

  @Test
  void printsEveryPhaseAndStepOfTheSamplePlan() throws Exception {
    String out = run("plan", "--plan", RESOURCES.resolve("sample-plan.yaml").toString());
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
    String out = run("plan", "--plan", RESOURCES.resolve("heroku-plan.yaml").toString());
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
