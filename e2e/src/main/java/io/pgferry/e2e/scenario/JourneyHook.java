package io.pgferry.e2e.scenario;

/**
 * Something done to the running journey once the journal shows a step started (kill the controller, kill a node).
 * Runs on the driver's thread; the driver keeps following the journey afterwards.
 */
public record JourneyHook(String name, String afterStepStarted, Action action) {
  @FunctionalInterface
  public interface Action {
    void run() throws Exception;
  }
}
