package io.pgferry.common;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An external program to run (pg_ctl, initdb, pg_basebackup, ...), optionally as another OS user: PostgreSQL
 * refuses to run as root, so when pgferry itself runs as root it runs these through {@code runuser -u USER --}.
 * Blocking: call from worker threads only.
 */
public final class Command {
  private final List<String> argv;
  private final Map<String, String> env = new LinkedHashMap<>();
  private String runAs;
  private Path workDir = Path.of("/tmp");
  private Duration timeout = Duration.ofMinutes(10);

  private Command(List<String> argv) {
    this.argv = List.copyOf(argv);
  }

  public static Command of(String... argv) {
    return new Command(List.of(argv));
  }

  public static Command of(List<String> argv) {
    return new Command(argv);
  }

  /** Runs the program as {@code user} when the current process is root; ignored otherwise or when null. */
  public Command as(String user) {
    this.runAs = user;
    return this;
  }

  public Command env(String key, String value) {
    env.put(key, value);
    return this;
  }

  public Command workDir(Path dir) {
    this.workDir = dir;
    return this;
  }

  public Command timeout(Duration timeout) {
    this.timeout = timeout;
    return this;
  }

  public List<String> argv() {
    return argv;
  }

  public static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  List<String> effectiveArgv() {
    if (runAs != null && runningAsRoot() && !runAs.equals("root")) {
      List<String> full = new ArrayList<>(List.of("runuser", "-u", runAs, "--"));
      full.addAll(argv);
      return full;
    }
    return argv;
  }

  public ProcessBuilder processBuilder() {
    ProcessBuilder pb = new ProcessBuilder(effectiveArgv()).directory(workDir.toFile());
    pb.environment().putAll(env);
    return pb;
  }

  /** Runs to completion; never throws for a non-zero exit (see {@link Result#check()}). */
  public Result run() {
    Process process;
    try {
      process = processBuilder().redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
    }
    CompletableFuture<String> out = drain(process.getInputStream());
    CompletableFuture<String> err = drain(process.getErrorStream());
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor();
        return new Result(this, -1, out.join(), err.join() + "\n(timed out after " + timeout.toSeconds() + " s)");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + argv.get(0), e);
    }
    return new Result(this, process.exitValue(), out.join(), err.join());
  }

  /** Runs and throws {@link CommandFailedException} unless it exits 0. */
  public Result runChecked() {
    return run().check();
  }

  private static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    });
  }

  @Override
  public String toString() {
    return String.join(" ", argv);
  }

  public record Result(Command command, int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }

    public Result check() {
      if (exitCode != 0) {
        throw new CommandFailedException(this);
      }
      return this;
    }
  }

  public static final class CommandFailedException extends RuntimeException {
    private final Result result;

    public CommandFailedException(Result result) {
      super(result.command().argv().get(0) + " exited " + result.exitCode() + ": " + tail(result.stderr().isBlank() ? result.stdout() : result.stderr()));
      this.result = result;
    }

    public Result result() {
      return result;
    }

    private static String tail(String text) {
      String t = text.strip();
      return t.length() > 2000 ? "..." + t.substring(t.length() - 2000) : t;
    }
  }
}
