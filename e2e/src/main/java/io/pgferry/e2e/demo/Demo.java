package io.pgferry.e2e.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.common.Cli;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Runs pgferry locally on embedded defaults with real clusters, agents and a controller, and prints what happened.")
public final class Demo implements Callable<Integer> {
  @Option(names = "--report", paramLabel = "FILE", description = "write the JSON report (DESIGN.md §11), also on failure")
  Path reportFile;

  @Option(names = "--work", paramLabel = "DIR", description = "work dir (default: ${DEFAULT-VALUE})")
  Path work = Path.of("/var/tmp/pgferry-demo");

  @Option(names = "--pg", paramLabel = "MAJOR", description = "PostgreSQL major version: 11, 15 or 17 (default: ${DEFAULT-VALUE})")
  int pgMajor = 15;

  private final PrintStream out = System.out;

  public static void main(String[] args) {
    System.exit(Cli.execute(new Demo(), args));
  }

  @Override
  public Integer call() throws Exception {
    DemoReport report = new DemoReport();
    report.pgVersion = pgMajor;
    report.logDir = work.resolve("logs").toString();
    io.pgferry.common.Command.of("rm", "-rf", work.toString()).run();
    Workspace ws = Workspace.at(work);
    PgBinaries bin = PgBinaries.forMajor(pgMajor);
    String stage = "setup";
    try (Rig rig = new Rig(ws, List.of("b"))) {
      say("work dir %s (logs in %s)", work, rig.logs());
      rig.initCerts().startController();
      say("controller up: http://127.0.0.1:%d (agents dial it over mTLS)", rig.controllerHttpPort());
      try (PgCluster primary = PgCluster.init(ws, "primary", bin, Map.of()).start()) {
        primary.execute("create table demo(id bigserial primary key, note text)", "insert into demo(note) select 'row ' || g from generate_series(1, 1000) g");
        say("primary: PostgreSQL %s on port %d with 1000 rows", bin.version(), primary.port());

        stage = "STANDBY";
        long t0 = System.nanoTime();
        int standbyPort = FreePorts.next();
        rig.startAgent("b", bin, ws.root().resolve("b"), standbyPort, null);
        rig.api().assign("b", "{\"state\":\"STREAMING_STANDBY\",\"upstream\":{\"host\":\"127.0.0.1\",\"port\":" + primary.port() + ",\"user\":\"postgres\"}}");
        JsonNode b = rig.awaitState("b", "STREAMING_STANDBY", Duration.ofMinutes(3));
        primary.execute("insert into demo(note) select 'more ' || g from generate_series(1, 500) g");
        io.pgferry.e2e.rig.Await.until("the standby to replay the new rows", Duration.ofSeconds(60),
            () -> rig.api().node("b").map(n -> n.path("status").path("replay_lag_bytes").asLong(-1) == 0
                && !n.path("status").path("replay_lsn").asText().isEmpty()).orElse(false), () -> "");
        b = rig.api().node("b").orElseThrow();
        report.phase("STANDBY", "done", secondsSince(t0));
        say("standby b: streaming from :%d, wal receiver %s, replay lag %d bytes, timeline %d",
            primary.port(), b.path("status").path("wal_receiver_status").asText(), b.path("status").path("replay_lag_bytes").asLong(),
            b.path("status").path("timeline").asInt());

        stage = "CUTOVER_1";
        t0 = System.nanoTime();
        int timelineBefore = b.path("status").path("timeline").asInt();
        rig.api().assign("b", "{\"state\":\"PRIMARY\"}");
        rig.awaitState("b", "PRIMARY", Duration.ofMinutes(2));
        io.pgferry.e2e.rig.Await.until("b to leave recovery", Duration.ofSeconds(30),
            () -> rig.api().node("b").map(n -> !n.path("status").path("in_recovery").asBoolean(true)).orElse(false), () -> "");
        b = rig.api().node("b").orElseThrow();
        report.phase("CUTOVER_1", "done", secondsSince(t0));
        say("promoted b: timeline %d -> %d, in recovery: %s", timelineBefore, b.path("status").path("timeline").asInt(),
            b.path("status").path("in_recovery").asBoolean());
        long rows;
        try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + standbyPort + "/postgres", "postgres", "");
             var st = c.createStatement()) {
          st.execute("insert into demo(note) values ('written on the promoted node')");
          var rs = st.executeQuery("select count(*) from demo");
          rs.next();
          rows = rs.getLong(1);
        }
        say("b accepts writes: demo table has %d rows (1500 streamed + 1 written after promotion)", rows);
      }
      report.ok = true;
      say("demo finished: ok");
      return 0;
    } catch (Exception e) {
      report.ok = false;
      report.error = stage + ": " + e.getMessage();
      report.phase(stage, "failed", null);
      System.err.println("demo: FAILED in " + stage + ": " + e.getMessage() + "\n  logs: " + work.resolve("logs"));
      return 1;
    } finally {
      if (reportFile != null) {
        report.write(reportFile);
        say("report written to %s", reportFile);
      }
    }
  }

  private void say(String format, Object... args) {
    out.println("demo: " + String.format(format, args));
  }

  private static double secondsSince(long t0) {
    return Math.round((System.nanoTime() - t0) / 1e6) / 1000.0;
  }
}
