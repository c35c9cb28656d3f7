package io.pgferry.controller.journey;

import java.util.Map;

/**
 * What an API call asks of the journey, recorded for the controller loop to act on in its next cycle (the call
 * answers at once instead of holding an HTTP worker while an engine stops).
 */
public sealed interface Intent {
  /** `pgferry abort`: stop the journey at its next safe point. */
  record Abort() implements Intent {}

  /** `pgferry failover` (or an automatic decision): enter FAILOVER. */
  record Failover(String reason, Map<String, String> evidence) implements Intent {
    public Failover {
      evidence = Map.copyOf(evidence);
    }
  }
}
