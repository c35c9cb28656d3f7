package io.pgferry.e2e.demo;

import io.pgferry.common.Cli;
import io.pgferry.common.UsageException;
import io.pgferry.controller.cli.ApiCredentials;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.controller.journey.Phase;
import io.pgferry.e2e.rig.EtcdControlPlane;
import io.pgferry.e2e.scenario.CrashPoint;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.e2e.scenario.ScenarioFailure;
import io.pgferry.e2e.scenario.SwitchKind;
import io.pgferry.testkit.Workspace;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Runs pgferry's whole journey locally on embedded defaults (a \"Heroku\" source archiving with wal-push,"
        + " agents a and b, the controller, the ledger as the app through PgBouncer): cutover 1 to a, logical replication to"
        + " the target T, a failover (a killed during logical sync), cutover 2 to T; prints what happened.")
public final class Demo implements Callable<Integer> {
  @Option(names = "--report", paramLabel = "FILE", description = "write the JSON report (DESIGN.md §11), also on failure")
  Path reportFile;

  @Option(names = "--work", paramLabel = "DIR", description = "work dir (default: ${DEFAULT-VALUE})")
  Path work = Path.of("/var/tmp/pgferry-demo");

  @Option(names = "--pg", paramLabel = "MAJOR", description = "PostgreSQL major version of source, a and b: 11 or 15 (default: ${DEFAULT-VALUE})")
  int pgMajor = 15;

  @Option(names = "--switch", paramLabel = "KIND", description = "how the app is switched: pgbouncer or heroku (default: ${DEFAULT-VALUE})")
  String switchKind = "pgbouncer";

  @Option(names = "--no-failover", description = "do not kill a during logical sync (no failover)")
  boolean noFailover;

  @Option(names = "--cutover-1-only", description = "stop after cutover 1 (no logical replication, no failover, no cutover 2)")
  boolean cutover1Only;

  @Option(names = "--ha", description = "3 controllers on a 3-member etcd cluster (store: etcd) instead of one on the"
      + " embedded store; the leader is killed (kill -9) once, in cutover 1, and a follower finishes the journey")
  boolean ha;

  @Option(names = "--keep", description = "leave everything running afterwards (look with bin/pgferry status); ./demo --clean stops it")
  boolean keep;

  @Option(names = "--clean", description = "stop what a --keep run left and remove the work dir, then exit")
  boolean clean;

  private final PrintStream out = System.out;

  public static void main(String[] args) {
    System.exit(Cli.execute(new Demo(), args));
  }

  @Override
  public Integer call() throws Exception {
    if (clean) {
      List<String> done = KeptRun.clean(work);
      done.forEach(d -> say("%s", d));
      say("%s", done.isEmpty() ? "nothing to clean in " + work : "clean");
      return 0;
    }
    if (Files.exists(work.resolve(KeptRun.FILE))) {
      say("a --keep run is still in %s: stopping it first", work);
    }
    KeptRun.clean(work);
    Workspace ws = Workspace.at(work);
    JourneyScenario.Options options = cutover1Only ? JourneyScenario.Options.defaults().pg(pgMajor)
        : JourneyScenario.Options.defaults().pg(pgMajor).throughCutover2().killAInLogicalSync(!noFailover);
    if (ha) {
      options = options.controllersOnEtcd(HA_CONTROLLERS).crashControllerAt(CrashPoint.CUTOVER_1);
    }
    if ("heroku".equalsIgnoreCase(switchKind)) {
      options = options.heroku(false);
    } else if (!"pgbouncer".equalsIgnoreCase(switchKind)) {
      throw new UsageException("--switch " + switchKind + ": unknown; use pgbouncer or heroku");
    }
    long t0 = System.nanoTime();
    say("work dir %s; logs in %s", work, work.resolve("logs"));
    JourneyScenario scenario = new JourneyScenario(ws, options, line -> out.println("  " + line));
    int exit;
    DemoReport report = new DemoReport();
    report.pgVersion = pgMajor;
    report.logDir = work.resolve("logs").toString();
    try {
      JourneyResult r = scenario.run();
      fill(report, r);
      List<String> problems = r.problems();
      report.ok = problems.isEmpty();
      if (!report.ok) {
        report.error = "VERIFY: " + String.join("; ", problems);
      }
      summary(r, problems, Duration.ofNanos(System.nanoTime() - t0));
      exit = report.ok ? 0 : 1;
    } catch (ScenarioFailure f) {
      fill(report, scenario.result());
      report.ok = false;
      report.error = f.stage() + ": " + f.getMessage();
      out.println();
      System.err.println("demo: FAILED at stage " + f.stage() + ": " + f.getMessage());
      System.err.println("demo: log: " + f.log() + "   (all logs: " + work.resolve("logs") + ")");
      exit = 1;
    } finally {
      if (reportFile != null) {
        fillMissingPhases(report);
        report.write(reportFile);
      }
      if (scenario.rig() != null && scenario.rig().controller() != null && scenario.rig().controller().alive()) {
        HtmlReport.write(scenario.rig().api(), work.resolve("report.html"))
            .ifPresent(html -> say("full report (status page with the lag chart, as the run ended): %s", html));
      }
    }
    if (reportFile != null) {
      say("report: %s", reportFile.toAbsolutePath());
    }
    if (keep) {
      Path kept = KeptRun.write(work, scenario.kept());
      say("--keep: everything is still running (recorded in %s)", kept);
      if (scenario.result().controllerUrl != null && scenario.rig() != null) {
        // the API takes the demo's operator certificate: the CLI finds it through PGFERRY_* (see `pgferry status --help`)
        ApiCredentials operator = scenario.rig().operatorCredentials();
        say("  look:  export PGFERRY_CACERT=%s PGFERRY_CERT=%s", operator.cacert(), operator.cert());
        say("         bin/pgferry status --controller %s", scenario.result().controllerUrl);
        say("         bin/pgferry nodes --controller %s", scenario.result().controllerUrl);
        say("         status page: %s/ (a client certificate, or the bearer token in %s)", scenario.result().controllerUrl,
            scenario.rig().apiTokenFile());
      }
      say("  stop:  ./demo --clean%s", work.equals(Path.of("/var/tmp/pgferry-demo")) ? "" : " --work " + work);
      out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(exit); // skip the test kit's shutdown hooks, which would stop the clusters
    }
    scenario.close();
    return exit;
  }

  /** --ha: controller processes on etcd. */
  static final int HA_CONTROLLERS = 3;

  private static void fill(DemoReport report, JourneyResult r) {
    if (r.controllers > 1) {
      report.controllers = new DemoReport.Controllers(r.controllers, r.leaderChangesSeen);
    }
    for (JourneyResult.PhaseTime p : r.phases) {
      report.phase(p.name(), reportStatus(p.status()), p.seconds() == null ? null : Math.round(p.seconds() * 10) / 10.0);
    }
    r.downtime.forEach((event, d) -> report.downtime(event, d.toNanos() / 1e9));
    if (r.ledger != null) {
      report.ledger = new DemoReport.Ledger(r.ledger.acknowledged(), r.ledger.lost(), r.ledger.duplicated());
    }
    if (!r.tables.isEmpty()) {
      report.verification = new DemoReport.Verification(r.tables.size(), (int) r.tables.stream().filter(t -> !t.equal()).count());
    }
    if (r.ddlRecorded != null) {
      report.ddl = new DemoReport.Ddl(r.ddlRecorded, r.ddlApplied);
    }
    if (r.analyzeSeconds != null) {
      report.analyze = new DemoReport.Analyze(r.analyzedTables, Math.round(r.analyzeSeconds * 1000) / 1000.0);
    }
    if (!r.sequences.isEmpty()) {
      report.sequences = new DemoReport.Sequences(r.sequences.size(), (int) r.sequences.stream().filter(q -> !q.equal()).count());
    }
  }

  /** §11 knows done, failed, skipped, not_reached: a phase the journey stopped in counts as failed. */
  private static String reportStatus(String journeyStatus) {
    return switch (journeyStatus) {
      case "done", "not_reached", "skipped" -> journeyStatus;
      default -> "failed";
    };
  }

  private static void fillMissingPhases(DemoReport report) {
    for (Phase p : Phase.values()) {
      if (report.phases.stream().noneMatch(e -> e.name().equals(p.name()))) {
        report.phase(p.name(), "not_reached", null);
      }
    }
  }

  private void summary(JourneyResult r, List<String> problems, Duration wall) {
    out.println();
    out.printf("pgferry demo: PostgreSQL %d source, app through %s: %s in %.0f s%n", r.pgMajor,
        r.switchKind == SwitchKind.HEROKU ? "a Heroku app" : "PgBouncer", problems.isEmpty() ? "OK" : "PROBLEMS",
        wall.toMillis() / 1000.0);
    out.println("  phases:");
    for (JourneyResult.PhaseTime p : r.phases) {
      out.printf("    %-16s %-12s %s%n", p.name(), p.status().replace('_', ' '),
          p.seconds() == null ? "" : String.format("%6.1f s", p.seconds()));
    }
    for (JourneyResult.LeaderChange c : r.leaderChanges) {
      out.printf("  controllers: %d on etcd; the leader (controller %d) killed at %s, controller %d acted %.1f s later,"
          + " no human action%n", r.controllers, c.from, c.step, c.to, c.takeover().toMillis() / 1000.0);
    }
    out.println("  write downtime (largest gap between the app's commits):");
    downtimeLine("cutover 1 (source -> a)", r.downtime.get("cutover_1"), "");
    if (r.failoverExpected) {
      downtimeLine("failover (a killed -> b)", r.downtime.get("failover"), "  kill -9 -> first commit");
    }
    if (!r.failoverSplit.isEmpty()) {
      out.println("      " + JourneyResult.durationsLine(r.failoverSplit));
      if (!r.failoverErrors.isEmpty()) {
        out.println("      the app's failed writes: " + r.failoverErrors + " (the pause makes requests wait for B)");
      }
    }
    if (r.logical) {
      downtimeLine("cutover 2 (-> T)", r.downtime.get("cutover_2"), "");
    }
    if (!r.cutover2Steps.isEmpty()) {
      Map<String, Duration> slow = new LinkedHashMap<>();
      r.cutover2Steps.forEach((k, v) -> {
        if (k.equals("total") || v.toMillis() >= 50) {
          slow.put(k, v);
        }
      });
      out.println("      block -> unblock: " + JourneyResult.durationsLine(slow) + " (steps under 50 ms left out)");
    }
    if (r.ledger != null) {
      out.printf("  ledger on %s: %d acknowledged, %d lost, %d duplicated%n", r.logical ? "T (final primary)" : "a",
          r.ledger.acknowledged(), r.ledger.lost(), r.ledger.duplicated());
    }
    r.journal.stream().filter(e -> e.is("STEP_DONE", JourneyTable.C2_VERIFY)).reduce((x, y) -> y)
        .ifPresent(v -> out.printf("  pgferry's verify in cutover 2 (writes blocked): %s tables, %s mismatched%s%n",
            v.evidence().get("tables"), v.evidence().get("mismatched_tables"),
            r.journal.stream().filter(e -> e.is("STEP_DONE", JourneyTable.C2_SEQUENCES)).reduce((x, y) -> y)
                .map(q -> "; sequences: " + q.evidence().get("checked") + " checked, " + q.evidence().get("set") + " set on T")
                .orElse("")));
    if (!r.tables.isEmpty()) {
      out.printf("  checked after the run - T against %s (last source-side primary), per table:%n", r.lastSourcePrimary);
      for (JourneyResult.TableCheck t : r.tables) {
        out.printf("    %-22s %-9s %7d rows on %s, %7d on T%s%n", t.table(), t.equal() ? "equal" : "DIFFERENT", t.onSource(),
            r.lastSourcePrimary, t.onTarget(), t.how().startsWith("the app writes") ? "  (the app writes it on T)" : "");
      }
      long seqEqual = r.sequences.stream().filter(JourneyResult.SequenceCheck::equal).count();
      out.printf("  sequences: %d/%d equal on T and %s%n", seqEqual, r.sequences.size(), r.lastSourcePrimary);
      for (JourneyResult.SequenceCheck q : r.sequences) {
        out.printf("    %-28s %-9s %s on %s, %s on T%n", q.sequence(), q.equal() ? "ok" : "DIFFERENT", q.onSource(),
            r.lastSourcePrimary, q.onTarget());
      }
    }
    if (r.topology != null) {
      out.printf("  a: primary on timeline %d; b streams from a on timeline %d (%s)%n", r.topology.aTimeline(),
          r.topology.bTimeline(), r.topology.replicationOnA());
    }
    problems.forEach(p -> out.println("  PROBLEM: " + p));
    out.printf("  logs: %s (controller.log%s, agent-a.log, agent-b.log); PostgreSQL logs beside the data dirs in %s%n",
        r.logs, r.controllers > 1 ? ", controller-2.log .. controller-" + r.controllers + ".log" : "", r.workDir);
    out.printf("  journal: %s; status page (with --keep): %s/%n", r.controllers > 1
        ? "in etcd under " + EtcdControlPlane.PREFIX + "/journal/ (pgferry status against any controller)"
        : r.workDir + "/controller-state/journey.jsonl", r.controllerUrl == null ? "-" : r.controllerUrl);
  }

  private void downtimeLine(String what, Duration d, String how) {
    out.printf("    %-26s %s%s%n", what, d == null ? "not measured" : String.format("%.2f s", d.toNanos() / 1e9), how);
  }

  private void say(String format, Object... args) {
    out.println("demo: " + String.format(format, args));
  }
}
