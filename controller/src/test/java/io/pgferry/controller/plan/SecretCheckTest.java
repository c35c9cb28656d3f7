package io.pgferry.controller.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Cli;
import io.pgferry.controller.cli.PgferryMain;
import io.pgferry.testkit.plan.PlanBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets are resolved before anything is touched, and a problem names the reference, never what it holds. */
class SecretCheckTest {
  /** What a controller's TLS key looks like; the body is the part that must never be printed. */
  private static final String KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
  private static final String TLS_KEY = "-----BEGIN PRIVATE KEY-----\n" + KEY_BODY + "\n-----END PRIVATE KEY-----\n";

  @TempDir
  Path dir;

  @Test
  void aSourceUrlPointingAtTheControllersTlsKeyIsNamedNotPrinted() throws Exception {
    Path key = PlanBuilder.writeSecret(dir.resolve("controller.key"), TLS_KEY);
    String text = PlanBuilder.plan().source(PlanBuilder.file(key)).yaml();
    PlanException e = assertThrows(PlanException.class, () -> check(text));
    assertEquals(1, e.problems().size(), e.getMessage());
    PlanProblem p = e.problems().get(0);
    assertEquals("source.url", p.path());
    assertEquals("the value of file:" + key + " is not a postgres://user@host:port/dbname URL or a key=value"
        + " connection string", p.message());
    assertTrue(p.line() > 0 && p.column() > 0, "line:column of source.url: " + p);
    assertEquals("  url: file:" + key, text.lines().toList().get(p.line() - 1), "the line named is source.url's");
    assertFalse(e.getMessage().contains(KEY_BODY), e.getMessage());
    assertFalse(e.getMessage().contains("PRIVATE KEY"), e.getMessage());
  }

  @Test
  void everyUnusableSecretIsAnErrorNamingItsKeyAndReference() throws Exception {
    Path loose = Files.writeString(dir.resolve("loose"), "hunter2");
    Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rw-r--r--"));
    Path token = dir.resolve("no-such-token");
    String text = PlanBuilder.plan().appPassword("env:PGFERRY_TEST_UNSET_APP_DB_PASSWORD")
        .target("postgres://app@10.0.0.7:5432/appdb")
        .herokuSwitch("shop", "DATABASE_URL", PlanBuilder.file(token), URI.create("https://api.heroku.com"))
        .logical(l -> l.passwords(PlanBuilder.file(loose), null)).yaml();
    PlanException e = assertThrows(PlanException.class, () -> check(text));
    String m = e.getMessage();
    assertTrue(m.contains("error: app.password: env:PGFERRY_TEST_UNSET_APP_DB_PASSWORD is not set"), m);
    assertTrue(m.contains("error: switch.heroku.token: file:" + token + ": no such file"), m);
    assertTrue(m.contains("error: logical.replication_password: file:" + loose + ": the file may be read by group or"
        + " others"), m);
    assertFalse(m.contains("hunter2"), m);
    assertEquals(3, e.problems().size(), m);
    e.problems().forEach(p -> assertTrue(p.line() > 0, "located: " + p));
  }

  @Test
  void aPlanWhoseSecretsResolvePasses() {
    Path pw = PlanBuilder.writeSecret(dir.resolve("pw"), "hunter2");
    check(PlanBuilder.plan().appPassword(PlanBuilder.file(pw)).yaml());
    assertEquals(List.of(), SecretCheck.problems(PlanLoader.parse("plan.yaml",
        PlanBuilder.plan().appPassword(PlanBuilder.file(pw)).yaml(), null).plan()));
  }

  /** `pgferry plan` exits 2 with file:line:column, and the key's content appears nowhere in what it prints. */
  @Test
  void pgferryPlanExitsTwoAndPrintsNoSecret() throws Exception {
    Path key = PlanBuilder.writeSecret(dir.resolve("controller.key"), TLS_KEY);
    Path plan = PlanBuilder.plan().source(PlanBuilder.file(key))
        .logical(l -> l.passwords(PlanBuilder.file(key), null).targetAddress("10.0.3.7/32")).writeTo(dir.resolve("plan.yaml"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream oldErr = System.err;
    PrintStream oldOut = System.out;
    PrintStream both = new PrintStream(out, true, StandardCharsets.UTF_8);
    System.setErr(both);
    System.setOut(both);
    int code;
    try {
      code = Cli.execute(new PgferryMain(), "plan", "--plan", plan.toString());
    } finally {
      System.setErr(oldErr);
      System.setOut(oldOut);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(2, code, text);
    assertTrue(text.matches("(?s).*plan\\.yaml:\\d+:\\d+: error: source\\.url: the value of file:.*"), text);
    assertFalse(text.contains(KEY_BODY), text);
  }

  private static void check(String text) {
    SecretCheck.check(PlanLoader.parse("plan.yaml", text, null), "plan.yaml");
  }
}
