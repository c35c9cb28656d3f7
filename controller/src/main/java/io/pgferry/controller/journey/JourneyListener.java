package io.pgferry.controller.journey;

/** Watches a running journey: every journal record, and progress lines of long steps. Called on the engine thread. */
public interface JourneyListener {
  JourneyListener NONE = new JourneyListener() {};

  default void onRecord(JournalRecord record) {}

  default void onProgress(Phase phase, String stepId, String line) {}
}
