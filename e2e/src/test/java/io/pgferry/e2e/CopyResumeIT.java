package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.scenario.CrashPoint;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.e2e.scenario.SourceDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the controller in the middle of LOGICAL_SETUP's snapshot copy (issue 15): a 250 000-row table cut into
 * ranges of about 1 MB, one table job, the app writing to the ledger all along. The kill comes as soon as T's
 * pgferry.copy_items shows an app table's item done and others not; the controller is restarted and nothing else is
 * done. A's agent still holds the slot's exported snapshot, so the restarted controller resumes the copy under it:
 * only the items not done are copied (the journal says resumed, how many were done and how many remained), the
 * journey finishes, every table has the source's rows on T, and every acknowledged ledger row is on T once.
 */
class CopyResumeIT {
  private static final long BIG_ROWS = 250_000;

  @Test
  void aControllerKilledMidCopyResumesOnlyTheItemsNotDone() {
    JourneyResult r = ScenarioRuns.run("copy-resume", JourneyScenario.Options.defaults().throughCutover2()
        .crashControllerAt(CrashPoint.TABLE_COPY), s -> s
        .changePlan(p -> p.logical(l -> l.copy(1, "1MB")))
        .beforeApply(() -> {
          try (Connection c = SourceDatabase.connectAsSuperuser(s.source(), SourceDatabase.APP_DB); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE public.big_events (id bigint PRIMARY KEY, payload text NOT NULL)");
            st.execute("INSERT INTO public.big_events SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, " + BIG_ROWS + ") g");
          }
        }), x -> { });

    assertTrue(r.problems().isEmpty(), String.join("\n", r.problems()));
    assertEquals("FINISHED", r.journeyState, r.journeyMessage);
    assertEquals(0, r.ledger.lost(), "lost on T");
    assertEquals(0, r.ledger.duplicated(), "duplicated on T");
    r.tables.forEach(t -> assertTrue(t.equal(), t.toString()));
    assertTrue(r.tables.stream().anyMatch(t -> t.table().equals("public.big_events") && t.onTarget() == BIG_ROWS),
        "the split table on T, every row once: " + r.tables);
    assertEquals(1, r.controllerCrashes.size(), r.controllerCrashes.toString());
    assertEquals(1, r.journal.stream().filter(e -> e.event().equals("DECISION") && e.message() != null
        && e.message().startsWith("resumed automatically")).count(), "one automatic resume");

    List<String> doneAtKill = List.copyOf(r.copyItemsDoneAtKill);
    assertFalse(doneAtKill.isEmpty(), "items were done when the controller was killed");
    List<JournalFile.Entry> starts = ScenarioRuns.events(r, "STEP_STARTED", JourneyTable.LS_TABLE_COPY);
    List<JournalFile.Entry> dones = ScenarioRuns.events(r, "STEP_DONE", JourneyTable.LS_TABLE_COPY);
    assertEquals(2, starts.size(), "the copy ran before the kill and again after the restart: " + starts);
    assertEquals(1, dones.size(), "the copy done once");
    Map<String, String> ev = dones.get(0).evidence();
    System.out.println("copy-resume: " + doneAtKill.size() + " item(s) done at the kill; the resumed copy: " + ev + "; "
        + dones.get(0).message());
    assertEquals("true", ev.get("resumed"), "resumed under the snapshot A's agent held: " + ev);
    assertEquals("false", ev.get("restarted"), "not started afresh: " + ev);
    int items = Integer.parseInt(ev.get("items"));
    int doneBefore = Integer.parseInt(ev.get("done_before"));
    int remaining = Integer.parseInt(ev.get("remaining"));
    int copiedNow = Integer.parseInt(ev.get("copied_now"));
    assertTrue(doneBefore >= doneAtKill.size(), "every item done at the kill counted as done before: " + doneAtKill + " vs " + ev);
    assertEquals(items - doneBefore, remaining, ev.toString());
    assertEquals(remaining, copiedNow, "only the items not done were copied after the restart: " + ev);
    assertTrue(remaining > 0, "the kill came with items left to copy: " + ev);
    assertTrue(items > doneBefore && doneBefore > 0, ev.toString());
    assertTrue(r.journal.stream().noneMatch(e -> e.message() != null && e.message().contains("copying afresh")),
        "no fresh start of the copy");
    List<String> violations = ScenarioRuns.stepsRunAgainAfterDone(r);
    assertTrue(violations.isEmpty(), String.join("\n", violations));
  }
}
