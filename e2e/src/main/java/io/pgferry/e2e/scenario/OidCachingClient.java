package io.pgferry.e2e.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real psycopg2 client that caches hstore's type OIDs per process as Django does (resources/oid-client): it reads the
 * seed's hstore column through the app's path every 200 ms and logs each read. {@link #restartCommand()} is the shell
 * command that restarts it (SIGHUP: it execs itself and looks the OIDs up again), for the plan's app_restart hook.
 */
public final class OidCachingClient implements AutoCloseable {
  public static final Path PYTHON = Path.of("/usr/bin/python3"); // Debian's python3-psycopg2 belongs to it

  /** One log line: when, what (started, ok, stale-oid, db-error, restarting), detail. */
  public record Read(double at, String kind, String detail) {}

  private final Path dir;
  private final Path log;
  private final Path pidFile;
  private Process process;

  private OidCachingClient(Path dir, String name) {
    this.dir = dir;
    this.log = dir.resolve(name + ".log");
    this.pidFile = dir.resolve(name + ".pid");
  }

  /** A client whose files are {@code dir}/{@code name}.*; {@link #start} runs it. */
  public static OidCachingClient at(Path dir, String name) {
    return new OidCachingClient(dir, name);
  }

  /** Starts the client on {@code dsn} (libpq key/value). */
  public OidCachingClient start(String dsn) {
    try {
      Path script = dir.resolve("oid_client.py");
      if (!Files.exists(script)) {
        try (InputStream in = OidCachingClient.class.getResourceAsStream("/oid-client/oid_client.py")) {
          Files.copy(in, script);
        }
      }
      Path out = Path.of(log.toString().replaceAll("\\.log$", ".out"));
      process = new ProcessBuilder(PYTHON.toString(), script.toString(), dsn, log.toString(), pidFile.toString())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the OID-caching client " + log + ": " + e.getMessage(), e);
    }
  }

  /** The command a switch's app_restart runs to restart this client. */
  public String restartCommand() {
    return "kill -HUP \"$(cat " + pidFile + ")\"";
  }

  public List<Read> reads() {
    List<Read> out = new ArrayList<>();
    try {
      if (!Files.exists(log)) {
        return out;
      }
      for (String line : Files.readAllLines(log)) {
        String[] f = line.split(" ", 3);
        if (f.length >= 2) {
          out.add(new Read(Double.parseDouble(f[0]), f[1], f.length > 2 ? f[2] : ""));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  public Path log() {
    return log;
  }

  @Override
  public void close() {
    if (process != null) {
      process.destroyForcibly();
    }
  }
}
