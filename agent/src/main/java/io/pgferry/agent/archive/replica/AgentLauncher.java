package io.pgferry.agent.archive.replica;

import java.nio.file.Files;
import java.nio.file.Path;

/** How PostgreSQL should invoke this agent's CLI (for restore_command): bin/pgferry-agent when found, else java -jar. */
public final class AgentLauncher {
  private AgentLauncher() {}

  /** The restore_command line for a launcher (bin/pgferry-agent or {@code java -jar ...}). */
  public static String restoreCommand(String launcher, String archiveUrl, Path stateDir) {
    return launcher + " wal-fetch --archive " + archiveUrl + (stateDir == null ? "" : " --state-dir " + stateDir) + " %f %p";
  }

  /** PGFERRY_AGENT_BIN (or the system property pgferry.agent.bin, for an agent embedded in a test), else found. */
  public static String command() {
    String env = System.getProperty("pgferry.agent.bin", System.getenv("PGFERRY_AGENT_BIN"));
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      Path jar = Path.of(AgentLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      // bin/pgferry-agent of a checkout, the launcher copied beside the jar (tests, demo), or the installed one
      for (Path candidate : new Path[] {jar.resolveSibling("../../bin/pgferry-agent").normalize(), jar.resolveSibling("pgferry-agent"),
          Path.of("/usr/bin/pgferry-agent")}) {
        if (Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
      if (jar.toString().endsWith(".jar")) {
        return "java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar " + jar;
      }
    } catch (Exception ignored) {
      // fall through
    }
    return "pgferry-agent";
  }
}
