package io.pgferry.controller.journey;

import java.util.Map;

/** What a step did, in a sentence, with the facts that prove it (recorded in the journal). */
public record StepResult(String summary, Map<String, String> evidence) {
  public StepResult {
    evidence = Map.copyOf(evidence);
  }

  public static StepResult of(String summary) {
    return new StepResult(summary, Map.of());
  }
}
