package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.controller.journey.JourneyTable;
import io.pgferry.e2e.browser.HeadlessChromium;
import io.pgferry.e2e.demo.HtmlReport;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.scenario.CrashPoint;
import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import io.pgferry.e2e.scenario.SourceDatabase;
import io.pgferry.testkit.Await;
import io.pgferry.testkit.Launchers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
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
  void aControllerKilledMidCopyResumesOnlyTheItemsNotDone() throws Exception {
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

    progressShownAtTheKill(r.journeyAtCopyKill, doneAtKill.size());
  }

  /**
   * What the operator saw just before the kill: GET /api/journey's copy (as `pgferry status` and the metrics have it),
   * and the status page rendering that answer in a real headless Chromium: the bar, the counts, the split table.
   */
  private static void progressShownAtTheKill(String journeyJson, int doneAtKill) throws Exception {
    assertNotNull(journeyJson, "GET /api/journey answered before the kill");
    JsonNode journey = JSON.readTree(journeyJson);
    assertEquals(JourneyTable.LS_TABLE_COPY, journey.path("step").asText(), journeyJson);
    JsonNode copy = journey.path("copy");
    assertTrue(copy.isObject(), "the copy's progress in /api/journey: " + journeyJson);
    int items = copy.path("items").asInt();
    int itemsDone = copy.path("items_done").asInt();
    assertTrue(itemsDone >= 1 && itemsDone < items, "part of the copy done: " + copy);
    double percent = copy.path("percent").asDouble();
    assertTrue(percent > 0 && percent < 100, copy.toString());
    JsonNode big = null;
    for (JsonNode t : copy.path("tables")) {
      if (t.path("table").asText().equals("public.big_events")) {
        big = t;
      }
    }
    assertNotNull(big, "the split table among the copy's tables: " + copy);
    assertTrue(big.path("items").asInt() > 1, "the big table cut into ranges: " + big);
    System.out.println("copy-resume: /api/journey at the kill: " + copy.path("items_done") + "/" + items + " items, "
        + percent + " %, " + doneAtKill + " done on T");

    Path target = Launchers.repo().resolve("e2e/target");
    Path page = target.resolve("status-page-copy.html");
    Files.writeString(page, HtmlReport.fromClasspath(Map.of("/api/journey", journeyJson)));
    Path profile = Files.createTempDirectory("chromium-copy");
    try (HeadlessChromium chromium = HeadlessChromium.open(page.toUri().toString(), profile, target.resolve("chromium-copy.log"), 1280, 1200)) {
      List<JsonNode> seen = new ArrayList<>();
      Await.until("the status page to draw the copy card", Duration.ofSeconds(30), () -> {
        JsonNode s = chromium.eval(COPY_CARD);
        seen.add(s);
        return s.path("shown").asBoolean();
      }, () -> seen.isEmpty() ? "(nothing)" : seen.get(seen.size() - 1).toString());
      JsonNode card = seen.get(seen.size() - 1);
      // one decimal, as the page shows it (JavaScript's rounding, not Java's)
      assertEquals(percent, Double.parseDouble(card.path("percent").asText()), 0.051, card.toString());
      assertEquals(card.path("percent").asText() + "%", card.path("barWidth").asText(), card.toString());
      assertTrue(card.path("summary").asText().startsWith(itemsDone + "/" + items + " tables and ranges"), card.toString());
      assertTrue(card.path("summary").asText().contains("MB/s") && card.path("summary").asText().contains("ETA"), card.toString());
      if (big.path("items_done").asInt() < big.path("items").asInt()) {
        assertTrue(card.path("tables").toString().contains("public.big_events"), "the unfinished split table is listed: " + card);
      }
      chromium.screenshot(target.resolve("status-page-copy.png"));
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COPY_CARD = """
      (() => {
        const card = document.querySelector('#copy-card');
        return {
          shown: !card.hidden,
          percent: card.dataset.percent || '',
          barWidth: document.querySelector('#copy-bar').style.width,
          summary: document.querySelector('#copy-summary').textContent,
          tables: [...document.querySelectorAll('#copy-tables tr[data-table]')].map(r => r.dataset.table)
        };
      })()""";
}
