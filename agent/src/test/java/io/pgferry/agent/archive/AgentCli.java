package io.pgferry.agent.archive;

import io.pgferry.testkit.Launchers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the shaded agent jar as a separate process (as PostgreSQL or an operator would) and captures its output. */
final class AgentCli {
  record Result(int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exit + "\nstdout: " + stdout + "\nstderr: " + stderr;
    }
  }

  private AgentCli() {}

  static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(Arrays.asList(Launchers.javaCommand().split(" ")));
    argv.add("-jar");
    argv.add(Launchers.agentJar().toString());
    argv.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("WALE_") || k.startsWith("WALG_"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile("agent-cli", ".out");
    Path err = Files.createTempFile("agent-cli", ".err");
    try {
      Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("pgferry-agent " + String.join(" ", args) + " did not finish in 5 minutes");
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
