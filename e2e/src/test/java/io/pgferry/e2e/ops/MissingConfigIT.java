package io.pgferry.e2e.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.Launchers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A unit started with a missing config must fail fast with one clear line in the journal. Outside systemd: the
 * unit's exact ExecStart (the bin/ launcher Ansible installs as /usr/bin/..., its arguments as written), with only
 * the --config path swapped for one that does not exist. systemd puts stderr in the journal line by line.
 */
class MissingConfigIT {
  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"pgferry-agent.service", "pgferry-controller.service"})
  void theUnitsExecStartWithAMissingConfigExitsTwoWithOneLineNamingTheFile(String unit) throws Exception {
    Path repo = Launchers.repo();
    List<String> argv = execStart(repo.resolve("systemd").resolve(unit));
    assertTrue(argv.get(0).startsWith("/usr/bin/pgferry"), "ExecStart runs the installed launcher: " + argv);
    int config = argv.indexOf("--config");
    assertTrue(config > 0 && config < argv.size() - 1, "ExecStart passes --config FILE: " + argv);
    Path missing = dir.resolve("etc-pgferry").resolve(Path.of(argv.get(config + 1)).getFileName());
    argv.set(0, repo.resolve("bin").resolve(Path.of(argv.get(0)).getFileName()).toString());
    argv.set(config + 1, missing.toString());

    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(false);
    pb.environment().put("PGFERRY_AGENT_JAR", Launchers.agentJar().toString());
    pb.environment().put("PGFERRY_JAR", Launchers.controllerJar().toString());
    long t0 = System.nanoTime();
    Process p = pb.start();
    assertTrue(p.waitFor(20, TimeUnit.SECONDS), "still running after 20 s: " + argv);
    double seconds = (System.nanoTime() - t0) / 1e9;
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertEquals(2, p.exitValue(), "exit code of " + argv + "\nstderr: " + stderr + "\nstdout: " + stdout);
    assertTrue(seconds < 10, "took " + seconds + " s");
    List<String> lines = Arrays.stream(stderr.split("\n")).filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), "one line on stderr (one journal entry), got:\n" + stderr);
    assertTrue(lines.get(0).contains(missing.toString()), "the line names the file: " + lines.get(0));
    assertTrue(lines.get(0).contains("no such file"), lines.get(0));
    assertFalse(stderr.contains("Exception"), "no stack trace: " + stderr);
    assertEquals("", stdout.strip(), "nothing on stdout");
  }

  /** ExecStart= of the unit, split on blanks (the units quote nothing). */
  private static List<String> execStart(Path unit) throws IOException {
    List<String> lines = Files.readAllLines(unit).stream().filter(l -> l.startsWith("ExecStart=")).toList();
    assertEquals(1, lines.size(), unit + ": one ExecStart line");
    String cmd = lines.get(0).substring("ExecStart=".length()).strip();
    assertFalse(cmd.contains("\"") || cmd.contains("'") || cmd.contains("$"), unit + ": ExecStart quotes or expands nothing: " + cmd);
    return new ArrayList<>(Arrays.asList(cmd.split("\\s+")));
  }
}
