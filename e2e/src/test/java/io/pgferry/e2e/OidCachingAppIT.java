package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.e2e.scenario.OidCachingClient;
import io.pgferry.e2e.scenario.OidCachingClient.Read;
import io.pgferry.e2e.scenario.SourceDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * #18 item 2: an app that caches type OIDs (a real psycopg2 client registering hstore's caster for the OIDs it looked
 * up once per process, as Django does) reads an hstore column through PgBouncer during the whole journey. The plan's
 * {@code switch.app_restart} restarts it right after cutover 2's repoint; it never misreads a value. A second client
 * that nobody restarts misreads hstore values after cutover 2: the OIDs did change, and the hook is what saved the first.
 */
class OidCachingAppIT {
  @Test
  void anAppCachingTypeOidsKeepsWorkingThroughCutover2WithTheRestartHook() throws Exception {
    Path dir = Files.createTempDirectory("pgferry-oid-clients");
    try (OidCachingClient restarted = OidCachingClient.at(dir, "restarted");
         OidCachingClient stale = OidCachingClient.at(dir, "never-restarted")) {
      JourneyResult r = ScenarioRuns.run("oid-cache", JourneyScenario.Options.defaults().throughCutover2(), s -> s
          .changePlan(p -> p.oidsCachedByApp(true).appRestart(restarted.restartCommand()))
          .beforeApply(() -> {
            // T's OID counter moved on, as on any real target: hstore gets another OID there than on the source
            s.target().execute("CREATE TABLE pgferry_oid_shift (a int, b text)", "DROP TABLE pgferry_oid_shift");
            // the app reads the seed's users (owned by postgres); the grant reaches A by WAL and T by the schema copy
            try (Connection c = SourceDatabase.connectAsSuperuser(s.source(), SourceDatabase.APP_DB);
                 Statement st = c.createStatement()) {
              st.execute("GRANT SELECT ON public.users TO " + SourceDatabase.APP_USER);
            }
            restarted.start(s.appDsn());
            stale.start(s.appDsn());
          }), x -> { });

      FullJourneyIT.assertWholeJourney(r, false);
      JournalFile.Entry restart = ScenarioRuns.events(r, "STEP_DONE", JourneyTable.C2_RESTART_APP).get(0);
      assertTrue(restart.message().contains("the app restarted"), restart.message());

      List<Read> reads = restarted.reads();
      List<Read> starts = reads.stream().filter(x -> x.kind().equals("started")).toList();
      assertEquals(2, starts.size(), "the hook restarted the client once: " + starts);
      assertNotEquals(starts.get(0).detail(), starts.get(1).detail(), "hstore has another OID on T than on the source");
      double restartedAt = starts.get(1).at();
      assertTrue(reads.stream().anyMatch(x -> x.kind().equals("ok") && x.at() < restartedAt), "reads on the source side");
      assertTrue(reads.stream().anyMatch(x -> x.kind().equals("ok") && x.at() > restartedAt), "reads on T after the restart");
      assertFalse(reads.stream().anyMatch(x -> x.kind().equals("stale-oid")),
          "the restarted client never misread an hstore value: " + reads.stream().filter(x -> !x.kind().equals("ok")).toList());

      long abandoned = reads.stream().filter(x -> x.kind().equals("restarting") && x.detail().contains("abandoning")).count();
      assertTrue(abandoned <= 1, "at most the one read held by the pause is dropped by the restart: " + abandoned);
      List<Read> staleReads = stale.reads().stream().filter(x -> x.kind().equals("stale-oid")).toList();
      assertFalse(staleReads.isEmpty(), "a client nobody restarts misreads hstore after cutover 2 (the OIDs changed)");
      assertTrue(staleReads.get(0).at() > restartedAt - 5, "it misread only after cutover 2: " + staleReads.get(0));
      System.out.printf("oid-cache: %s; reads dropped by the restart: %d; the client nobody restarted misread %d reads,"
          + " first: %s%n", restart.message(), abandoned, staleReads.size(), staleReads.get(0).detail());
    }
  }
}
