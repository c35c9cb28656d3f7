package io.pgferry.agent.core;

import io.pgferry.common.Command;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The version of the agent's PostgreSQL binaries, asked once at start-up from {@code postgres --version}. */
public record PgVersion(String full, int major) {
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(\\.\\d+)?");

  /** E.g. {"15.18", 15}; throws when the binary names no version. */
  public static PgVersion probe(Path binDir) {
    Command.Result r = Command.of(binDir.resolve("postgres").toString(), "--version").run();
    Matcher m = VERSION.matcher(r.stdout());
    if (!r.ok() || !m.find()) {
      throw new IllegalStateException(binDir.resolve("postgres") + " --version did not name a version: " + r.stdout() + r.stderr());
    }
    return new PgVersion(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Integer.parseInt(m.group(1)));
  }
}
