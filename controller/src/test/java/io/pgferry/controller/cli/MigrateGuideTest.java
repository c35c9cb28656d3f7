package io.pgferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/migrate-from-heroku.md runs as written: every fenced block marked {@code sh tested} runs in order with bash in
 * one empty directory, with {@code pgferry} on the PATH (this build's CLI), and must exit 0; a {@code text output}
 * block right after one holds lines its output must contain.
 */
class MigrateGuideTest {
  private static final Path GUIDE = Path.of("../docs/migrate-from-heroku.md");

  record Block(String info, String body, int line) {}

  @TempDir
  Path dir;

  static List<Block> blocks(String markdown) {
    List<Block> out = new ArrayList<>();
    String[] lines = markdown.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].startsWith("```") && lines[i].length() > 3) {
        String info = lines[i].substring(3).trim();
        StringBuilder body = new StringBuilder();
        int start = i + 1;
        for (i++; i < lines.length && !lines[i].startsWith("```"); i++) {
          body.append(lines[i]).append('\n');
        }
        out.add(new Block(info, body.toString(), start));
      }
    }
    return out;
  }

  @Test
  void theGuidesTestedCommandsRunAsWritten() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path shim = bin.resolve("pgferry");
    Files.writeString(shim, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
        + "' -Xshare:auto -XX:TieredStopAtLevel=1 -cp \"$PGFERRY_TEST_CLASSPATH\" io.pgferry.controller.cli.PgferryMain \"$@\"\n");
    Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path work = Files.createDirectories(dir.resolve("work"));

    List<Block> blocks = blocks(Files.readString(GUIDE));
    int ran = 0;
    String lastOutput = null;
    for (Block b : blocks) {
      if (b.info().equals("sh tested")) {
        lastOutput = run(b, bin, work);
        ran++;
      } else if (b.info().equals("text output")) {
        assertTrue(lastOutput != null, "line " + b.line() + ": an output block follows a tested command");
        for (String expected : b.body().lines().filter(l -> !l.isBlank()).toList()) {
          assertTrue(lastOutput.contains(expected), "docs/migrate-from-heroku.md:" + b.line() + ": the output shown"
              + " has '" + expected + "', the command printed:\n" + lastOutput);
        }
        lastOutput = null; // one output block per command
      }
    }
    assertTrue(ran >= 3, "the guide's certs init, init and plan are tested: " + ran);
    assertTrue(Files.exists(work.resolve("plan.yaml")));
    assertTrue(Files.exists(work.resolve("tls/agent-b.key")));
  }

  private String run(Block b, Path bin, Path work) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", b.body()).directory(work.toFile())
        .redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().put("PGFERRY_TEST_CLASSPATH", System.getProperty("java.class.path"));
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "line " + b.line() + " took over a minute");
    assertEquals(0, p.exitValue(), "docs/migrate-from-heroku.md:" + b.line() + ":\n" + b.body() + "printed:\n" + out);
    assertFalse(out.contains("Exception"), out);
    return out;
  }
}
