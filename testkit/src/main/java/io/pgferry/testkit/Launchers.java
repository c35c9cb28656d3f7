package io.pgferry.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The shaded jars (built by `mvn package`, so only *IT tests and the demo can use them), copied to a place the
 * postgres OS user can read: the repository may live under a 0700 home directory, and PostgreSQL runs
 * archive_command and restore_command as postgres.
 */
public final class Launchers {
  private static final Path BIN = Path.of(System.getProperty("pgferry.bincache", "/var/tmp/pgferry-bin"));

  private Launchers() {}

  public static Path repo() {
    return Path.of(System.getProperty("pgferry.repo", System.getenv().getOrDefault("PGFERRY_REPO", "."))).toAbsolutePath().normalize();
  }

  public static synchronized Path agentJar() {
    return readableCopy(repo().resolve("agent/target/pgferry-agent.jar"));
  }

  /** bin/pgferry-agent copied beside the readable jar copy (PostgreSQL runs it as restore_command). */
  public static synchronized Path agentLauncher() {
    Path copy = agentJar().resolveSibling("pgferry-agent");
    try {
      if (!Files.exists(copy)) {
        Path tmp = Files.createTempFile(copy.getParent(), "launcher", ".tmp");
        Files.copy(repo().resolve("bin/pgferry-agent"), tmp, StandardCopyOption.REPLACE_EXISTING);
        tmp.toFile().setReadable(true, false);
        tmp.toFile().setExecutable(true, false);
        Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
      }
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static synchronized Path controllerJar() {
    return readableCopy(repo().resolve("controller/target/pgferry.jar"));
  }

  /** "java ... -jar pgferry-agent.jar", to which a subcommand and its arguments are appended. */
  public static String agentCommandLine() {
    return javaCommand() + " -jar " + agentJar();
  }

  public static String javaCommand() {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    String bin = Files.isExecutable(java) && !java.startsWith("/root") ? java.toString() : "java";
    return bin + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto";
  }

  private static Path readableCopy(Path jar) {
    if (!Files.isReadable(jar)) {
      throw new IllegalStateException(jar + " is missing: it is built by `mvn package` (run this test as *IT under `mvn verify`)");
    }
    try {
      String stamp = Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis();
      Path dir = BIN.resolve(stamp);
      Path copy = dir.resolve(jar.getFileName());
      if (!Files.exists(copy)) {
        Files.createDirectories(dir);
        for (Path p = dir; p != null && p.startsWith(BIN.getParent()); p = p.getParent()) {
          p.toFile().setReadable(true, false);
          p.toFile().setExecutable(true, false);
        }
        Path tmp = Files.createTempFile(dir, "jar", ".tmp");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        tmp.toFile().setReadable(true, false);
        Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
      }
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
