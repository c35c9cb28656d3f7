package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Cli;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** `pgferry init` writes a plan that `pgferry plan --without-secrets` takes whole, from flags or from questions. */
class InitCommandTest {
  @TempDir
  Path dir;

  record Run(int code, String out, String err) {}

  private static Run run(Object command, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new Run(Cli.execute(command, args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private List<String> common(Path plan, String kind) {
    return List.of("init", "--plan", plan.toString(), "--archive-url", "s3://heroku-wal-export/myapp", "--a-host", "10.0.0.11",
        "--b-host", "10.0.0.12", "--target-address", "10.0.3.7/32", "--dbname", "d8f0abc", "--app-user", "u1x2y3",
        "--switch", kind, "--pg-major", "16");
  }

  @ParameterizedTest
  @ValueSource(strings = {"heroku", "pgbouncer", "command"})
  void writesACompletePlanFromFlags(String kind) throws Exception {
    Path plan = dir.resolve("plan.yaml");
    List<String> extra = switch (kind) {
      case "heroku" -> List.of("--heroku-app", "myapp");
      case "command" -> List.of("--block", "/opt/app/bin/block writes", "--repoint", "/opt/app/bin/repoint",
          "--unblock", "/opt/app/bin/unblock");
      default -> List.of("--app-restart", "systemctl restart gunicorn");
    };
    Run r = run(new PgferryMain(), Stream.concat(common(plan, kind).stream(), extra.stream()).toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("wrote " + plan), r.out());
    assertTrue(r.out().contains("env:PGFERRY_REPL_PASSWORD"), "says what to fill in: " + r.out());
    Run checked = run(new PgferryMain(), "plan", "--without-secrets", "--plan", plan.toString());
    assertEquals(0, checked.code(), checked.err());
    Plan p = PlanLoader.loadComplete(plan).plan();
    assertEquals(Plan.SwitchType.valueOf(kind.toUpperCase()), p.switchSpec().type());
    assertEquals("10.0.0.11", p.logical().sourceHost());
    assertEquals("/usr/lib/postgresql/16/bin", p.logical().clientBinDir(), "pg_dump of the source's major");
    assertTrue(p.nodes().certificates(), "the passwordless shape: B and the controller log in with certificates");
    assertTrue(p.nodes().replicationUser().isEmpty(), "no replication role to create on the source");
    if (kind.equals("command")) {
      assertEquals("/opt/app/bin/block writes", p.switchSpec().command().block());
    }
  }

  @Test
  void refusesToOverwriteAndToGuessAMissingValue() throws Exception {
    Path plan = dir.resolve("plan.yaml");
    Files.writeString(plan, "mine\n");
    Run r = run(new PgferryMain(), Stream.concat(common(plan, "pgbouncer").stream(), Stream.<String>empty()).toArray(String[]::new));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("exists; pgferry init never overwrites a plan"), r.err());
    assertEquals("mine\n", Files.readString(plan));

    Path other = dir.resolve("other.yaml");
    r = run(new PgferryMain(), "init", "--plan", other.toString(), "--switch", "pgbouncer");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("missing --archive-url"), r.err());
    assertFalse(Files.exists(other));

    r = run(new PgferryMain(), "init", "--plan", other.toString(), "--archive-url", "s3://b/p", "--a-host", "h",
        "--b-host", "h2", "--target-address", "10.0.3.7", "--dbname", "d", "--app-user", "u", "--switch", "pgbouncer",
        "--target-url", "postgres://u:secret@aurora:5432/d");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("not inline"), r.err());
    assertFalse(r.err().contains("secret@"), r.err());
    assertFalse(Files.exists(other));
  }

  @Test
  void asksOnATerminalForWhatNoFlagGave() throws Exception {
    Path plan = dir.resolve("asked.yaml");
    String answers = String.join("\n", "s3://heroku-wal-export/myapp", "10.0.0.11", "10.0.0.12", "10.0.3.7/32", "d8f0abc",
        "u1x2y3", "heroku", "myapp") + "\n";
    Run r = run(new InitCommand(new BufferedReader(new StringReader(answers))), "--plan", plan.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("WAL archive URL (s3://bucket/prefix): "), r.out());
    assertTrue(r.out().contains("the Heroku app's name: "), r.out());
    Plan p = PlanLoader.loadComplete(plan).plan();
    assertEquals("myapp", p.switchSpec().heroku().app());
    assertEquals("s3://heroku-wal-export/myapp", p.archive().url());
  }
}
