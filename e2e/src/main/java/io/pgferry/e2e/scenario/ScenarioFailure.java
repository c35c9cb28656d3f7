package io.pgferry.e2e.scenario;

import java.nio.file.Path;

/** A scenario stage failed: which stage (for the journey: which phase), why, and the log to read first. */
public final class ScenarioFailure extends RuntimeException {
  private final String stage;
  private final Path log;

  public ScenarioFailure(String stage, String cause, Path log, Throwable underlying) {
    super(cause, underlying);
    this.stage = stage;
    this.log = log;
  }

  public String stage() {
    return stage;
  }

  public Path log() {
    return log;
  }
}
