package io.pgferry.controller.journey;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Logs the journey: one line per journal record; progress lines when they change, at most every 10 seconds. */
final class JourneyLog implements JourneyListener {
  private static final Logger LOG = Logger.getLogger(JourneyLog.class.getName());
  private static final long PROGRESS_EVERY_NANOS = 10_000_000_000L;
  private long lastProgressAt = System.nanoTime() - PROGRESS_EVERY_NANOS;

  @Override
  public void onRecord(JournalRecord r) {
    Level level = switch (r.event()) {
      case STEP_FAILED, JOURNEY_STOPPED -> Level.WARNING;
      default -> Level.INFO;
    };
    LOG.log(level, () -> "journey " + r.event().name().toLowerCase() + (r.phase() == null ? "" : " " + r.phase())
        + (r.step() == null ? "" : " " + r.step()) + (r.message() == null ? "" : ": " + r.message())
        + (r.evidence() == null ? "" : " " + r.evidence()));
  }

  @Override
  public void onProgress(Phase phase, String stepId, String line) {
    long now = System.nanoTime();
    if (now - lastProgressAt >= PROGRESS_EVERY_NANOS) {
      lastProgressAt = now;
      LOG.info(() -> "journey progress " + phase + " " + stepId + ": " + line);
    }
  }
}
