package io.pgferry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.e2e.scenario.JourneyResult;
import io.pgferry.e2e.scenario.JourneyScenario;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The journey with the Heroku switch (the Platform API stand-in): the app (ledger) re-reads DATABASE_URL when the
 * config var change restarts it; maintenance on -> config var -> maintenance off, in that order; a worker dyno
 * writing straight to the source ignores maintenance and is stopped by the database fence: none of its
 * acknowledged rows is lost, none was written after the fence.
 */
class HerokuJourneyIT {
  @Test
  void herokuSwitchAndTheFenceStopsAWorkerDyno() {
    JourneyResult r = ScenarioRuns.run("journey-heroku", JourneyScenario.Options.defaults().heroku(true));
    ScenarioRuns.assertCleanCutover(r);

    List<String> changes = r.appPathChanges;
    int on = indexOf(changes, "\"maintenance\":true");
    int repoint = indexOf(changes, "config-vars");
    int off = indexOf(changes, "\"maintenance\":false");
    assertTrue(on >= 0 && on < repoint && repoint < off, String.join("\n", changes));

    JourneyResult.Worker w = r.worker;
    assertNotNull(w, "the worker dyno ran");
    assertTrue(w.ledger().acknowledged() > 0, "the worker wrote before the fence");
    assertEquals(0, w.ledger().lost(), "worker rows lost");
    assertEquals(0, w.ledger().duplicated(), "worker rows duplicated");
    assertTrue(w.failedAfterFence() > 0, "the fence stopped the worker (its writes failed after it)");
    assertNotNull(w.fencedAt());
    assertTrue(!w.lastRowWrittenAt().isAfter(w.fencedAt()),
        "last worker row written at " + w.lastRowWrittenAt() + ", after the fence at " + w.fencedAt());
  }

  private static int indexOf(List<String> lines, String needle) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).replace(" ", "").contains(needle)) {
        return i;
      }
    }
    return -1;
  }
}
