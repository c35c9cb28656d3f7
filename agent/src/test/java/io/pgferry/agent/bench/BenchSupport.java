package io.pgferry.agent.bench;

import io.pgferry.testkit.Await;
import io.pgferry.common.Command;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** What the archive benchmarks share: the launcher PostgreSQL runs, pgbench, and polling with a deadline. */
final class BenchSupport {
  static final Path PGBENCH = Path.of("/usr/lib/postgresql/15/bin/pgbench");

  private BenchSupport() {}

  /** bin/pgferry-agent with the shaded jar copied where postgres can read it (its wal-fetch takes the curl path). */
  static String agentLauncher() {
    return "PGFERRY_AGENT_JAR=" + Launchers.agentJar() + " " + Launchers.repo().resolve("bin/pgferry-agent");
  }

  static void pgbench(PgCluster c, String... args) {
    List<String> argv = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "127.0.0.1", "-p", String.valueOf(c.port()), "-U", "postgres"));
    argv.addAll(List.of(args));
    argv.add("postgres");
    Command.of(argv).timeout(Duration.ofMinutes(30)).runChecked();
  }

  static void await(String what, Duration limit, BooleanSupplier done) {
    Await.until(what, limit, Duration.ofMillis(50), done::getAsBoolean, () -> "-");
  }

  static String query(PgCluster c, String sql) {
    try {
      return c.queryValue(sql);
    } catch (RuntimeException e) {
      return null;
    }
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
