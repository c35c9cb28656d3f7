package io.pgferry.e2e.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.testkit.Ledger;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a journey run leaves in its {@link JourneyResult}: the end state and phases from /api/journey, the journal,
 * and the timings measured against the ledger's commits (the write downtime of each cutover and of the failover,
 * cutover 2's steps, the failover's split).
 */
final class ScenarioOutcome {
  /** Report key (DESIGN.md §11 downtime_seconds) -> the phase whose run it measures; unreached phases stay absent. */
  private static final List<Map.Entry<String, String>> DOWNTIME_EVENTS = List.of(Map.entry("cutover_1", "CUTOVER_1"),
      Map.entry("failover", "FAILOVER"), Map.entry("cutover_2", "CUTOVER_2"));

  private final JourneyResult result;
  private final Instant wallAtStart = Instant.now();
  private final long nanosAtStart = System.nanoTime();

  ScenarioOutcome(JourneyResult result) {
    this.result = result;
  }

  /** The end state, phases and journal of the stopped journey. */
  void recordEnd(JsonNode end, List<JournalFile.Entry> journal, List<String> appPathChanges) {
    result.journeyState = end.path("state").asText();
    result.journeyMessage = end.path("message").asText();
    result.phases.clear();
    boolean waitingForAPhaseNotBuilt = "WAITING".equals(result.journeyState);
    for (JsonNode p : end.path("phases")) {
      String status = p.path("status").asText();
      if (waitingForAPhaseNotBuilt && "stopped".equals(status)) {
        status = "not_reached"; // the journey waits at a phase this build cannot run yet: nothing of it ran
      }
      result.phases.add(new JourneyResult.PhaseTime(p.path("name").asText(), status,
          p.path("seconds").isNumber() && !"not_reached".equals(status) ? p.path("seconds").asDouble() : null));
    }
    result.journal = journal;
    // in the order they first ran (FAILOVER between the two LOGICAL_SYNC runs), phases not reached last
    result.phases.sort(Comparator.comparing(p -> result.journal.stream().filter(e -> e.is("PHASE_STARTED", p.name()))
        .findFirst().map(JournalFile.Entry::at).orElse(Instant.MAX)));
    result.appPathChanges = appPathChanges;
  }

  /** The downtimes and step splits, once the journey got where it should. */
  void recordTimes(Ledger ledger, long aKilledAt) {
    JourneyTimings times = timings(ledger);
    for (Map.Entry<String, String> e : DOWNTIME_EVENTS) {
      Optional<Duration> d = "FAILOVER".equals(e.getValue()) && aKilledAt != 0 && times.last("PHASE_DONE", "FAILOVER").isPresent()
          ? times.killToFirstCommit(aKilledAt) : times.phaseDowntime(e.getValue());
      d.ifPresent(x -> result.downtime.put(e.getKey(), x));
    }
    result.cutover2Steps.putAll(times.cutover2Steps());
    result.failoverSplit.putAll(times.failoverSplit(aKilledAt));
    result.failoverErrors.putAll(times.failoverErrors(aKilledAt));
  }

  /** Times from the journal read so far and the ledger's commits. */
  JourneyTimings timings(Ledger ledger) {
    return new JourneyTimings(result.journal, ledger, wallAtStart, nanosAtStart);
  }
}
