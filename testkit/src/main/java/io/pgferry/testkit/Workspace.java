package io.pgferry.testkit;

import io.pgferry.common.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A temporary directory owned by the postgres OS user (when running as root), so clusters, sockets and logs can
 * live in it. Deleted on close unless PGFERRY_KEEP_TEST_DIRS is set.
 */
public final class Workspace implements AutoCloseable {
  public static final String PG_USER = "postgres";
  private final Path root;

  private Workspace(Path root) {
    this.root = root;
  }

  public static Workspace create(String prefix) {
    try {
      Path base = Path.of(System.getProperty("pgferry.testdir", "/tmp/pgferry-test"));
      Files.createDirectories(base);
      base.toFile().setWritable(true, false);
      base.toFile().setExecutable(true, false);
      base.toFile().setReadable(true, false);
      Path dir = Files.createTempDirectory(base, prefix + "-");
      dir.toFile().setExecutable(true, false);
      dir.toFile().setReadable(true, false);
      chownToPg(dir);
      return new Workspace(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fixed directory (created if missing, owned by postgres), e.g. the demo's work dir. */
  public static Workspace at(Path dir) {
    try {
      Files.createDirectories(dir);
      dir.toFile().setExecutable(true, false);
      dir.toFile().setReadable(true, false);
      chownToPg(dir);
      return new Workspace(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path root() {
    return root;
  }

  /** A subdirectory owned by postgres (created if missing). */
  public Path dir(String name) {
    Path d = root.resolve(name);
    try {
      Files.createDirectories(d);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    chownToPg(d);
    return d;
  }

  public static void chownToPg(Path path) {
    if (Command.runningAsRoot()) {
      Command.of("chown", "-R", PG_USER + ":" + PG_USER, path.toString()).runChecked();
    }
  }

  @Override
  public void close() {
    if (System.getenv("PGFERRY_KEEP_TEST_DIRS") == null) {
      Command.of("rm", "-rf", root.toString()).run();
    }
  }
}
