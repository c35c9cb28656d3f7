package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Command;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.rig.Rig;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.e2e.scenario.SourceDatabase;
import io.pgferry.testkit.PgCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The journey as an operator runs it: `pgferry apply` without --no-hold stops before each cutover (nothing of it
 * started, the app still writing), `pgferry proceed` lets cutover 1 go, `pgferry proceed --at` (5 s ahead) cutover 2,
 * which does not start before that time. After DONE `pgferry status` sums up and `pgferry finish --yes` decommissions:
 * no slot or publication left on the old primary, no subscription on T, A and B stopped, T as it was. Twice.
 */
class HoldsAndFinishIT {
  private static final Duration CLI = Duration.ofMinutes(4);

  @Test
  void holdsBeforeEachCutoverThenFinishDecommissions() {
    List<String> held = new ArrayList<>();
    Instant[] cutover2At = new Instant[1];
    JourneyScenario[] scenario = new JourneyScenario[1];
    ScenarioRuns.run("journey-holds", JourneyScenario.Options.defaults().throughCutover2(), s -> {
      scenario[0] = s;
      s.onHold(status -> {
        String phase = status.path("hold").path("phase").asText();
        if (held.contains(phase)) {
          return; // a proceed --at not due yet
        }
        held.add(phase);
        String prefix = phase.toLowerCase(Locale.ROOT) + ".";
        assertTrue(status.path("hold").path("plan").asText().contains(prefix + "block_app"),
            "the hold shows what the cutover will do: " + status.path("hold"));
        List<JournalFile.Entry> journal = new JournalFile(s.rig().controllerStateDir()).read();
        assertTrue(journal.stream().anyMatch(e -> e.is("HOLD_REACHED", phase)), "HOLD_REACHED journaled");
        assertTrue(journal.stream().noneMatch(e -> "STEP_STARTED".equals(e.event()) && e.step() != null
            && e.step().startsWith(prefix)), "no step of " + phase + " started while held");
        long before = s.acknowledgedSoFar();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (s.acknowledgedSoFar() < before + 20) {
          assertTrue(System.nanoTime() < deadline, "the app writes while the journey holds before " + phase);
          Thread.sleep(50);
        }
        if (phase.equals("CUTOVER_1")) {
          s.proceed(null);
        } else {
          cutover2At[0] = Instant.now().plusSeconds(5).truncatedTo(ChronoUnit.SECONDS);
          s.proceed(cutover2At[0].toString());
        }
      });
    }, r -> afterTheJourney(scenario[0], r, cutover2At[0]));
    assertEquals(List.of("CUTOVER_1", "CUTOVER_2"), held);
  }

  private static void afterTheJourney(JourneyScenario s, JourneyResult r, Instant cutover2At) throws Exception {
    assertEquals(0, r.ledger.lost(), "lost");
    assertEquals(0, r.ledger.duplicated(), "duplicated");
    Instant c2Started = r.journal.stream().filter(e -> e.is("STEP_STARTED", "cutover_2.check_ready")).findFirst()
        .orElseThrow().at();
    assertFalse(c2Started.isBefore(cutover2At), "cutover 2 started at " + c2Started + ", before its --at " + cutover2At);

    Rig rig = s.rig();
    String status = cli(rig, "status").stdout();
    assertTrue(status.contains("the app points to the target"), status);
    assertTrue(status.contains("downtime cutover_1") && status.contains("downtime cutover_2"), status);
    assertTrue(status.contains("still running: a (old primary)"), status);
    assertTrue(status.contains("`pgferry finish`"), status);

    PgCluster t = s.target();
    long rowsOnT = count(t, "SELECT count(*) FROM " + JourneyScenario.LEDGER_TABLE);
    Command.Result finish = cli(rig, "finish", "--yes");
    assertTrue(finish.stdout().contains("decommissioned"), finish.stdout() + finish.stderr());
    Command.Result again = cli(rig, "finish", "--yes");
    assertTrue(again.stdout().contains("already decommissioned"), again.stdout());
    assertTrue(cli(rig, "status").stdout().contains("FINISHED, decommissioned at"), "status says decommissioned");
    List<JournalFile.Entry> journal = new JournalFile(rig.controllerStateDir()).read();
    assertEquals(1, journal.stream().filter(e -> "DECOMMISSIONED".equals(e.event())).count());

    // T: no subscription, not a row touched (the ledger was verified on it before), still a primary
    assertEquals(0, count(t, "SELECT count(*) FROM pg_subscription"));
    assertEquals(rowsOnT, count(t, "SELECT count(*) FROM " + JourneyScenario.LEDGER_TABLE), "T's ledger rows");
    assertEquals(0, count(t, "SELECT pg_is_in_recovery()::int"));

    // A and B stopped by their agents; A (the old primary), started by hand without its agent, holds no slot or publication
    PgCluster a = rig.agentCluster("a");
    PgCluster b = rig.agentCluster("b");
    assertFalse(a.isRunning(), "a stopped");
    assertFalse(b.isRunning(), "b stopped");
    rig.agent("a").kill();
    a.start();
    try {
      assertEquals(0, count(a, "SELECT count(*) FROM pg_replication_slots"), "slots on a");
      assertEquals(0, count(a, "SELECT count(*) FROM pg_publication"), "publications on a");
    } finally {
      a.stop();
    }
  }

  private static Command.Result cli(Rig rig, String... args) {
    Command.Result r = rig.pgferryCli(List.of(args), CLI);
    assertTrue(r.ok(), "pgferry " + String.join(" ", args) + " exited " + r.exitCode() + ": " + r.stderr() + r.stdout());
    return r;
  }

  private static long count(PgCluster c, String sql) throws Exception {
    try (Connection conn = SourceDatabase.connectAsSuperuser(c, SourceDatabase.APP_DB); Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
