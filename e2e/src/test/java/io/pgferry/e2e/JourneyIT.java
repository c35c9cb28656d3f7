package io.pgferry.e2e;

import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import org.junit.jupiter.api.Test;

/**
 * The journey end to end through CUTOVER_1 with real processes: a source archiving with `pgferry-agent wal-push`
 * and a base backup from backup-push, agents a and b on empty data dirs, the controller running `pgferry apply`,
 * the ledger writing through PgBouncer the whole time. Afterwards the app writes to a, b streams from a on the new
 * timeline, nothing acknowledged is lost or doubled; the cutover's write downtime is printed. (PG 11, 16 and 17 run the whole journey in FullJourneyIT.)
 */
class JourneyIT {
  @Test
  void pg15ThroughPgBouncer() {
    JourneyResult r = ScenarioRuns.run("journey-pg15", JourneyScenario.Options.defaults());
    ScenarioRuns.assertCleanCutover(r);
  }
}
