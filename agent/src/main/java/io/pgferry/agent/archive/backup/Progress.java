package io.pgferry.agent.archive.backup;

/** Progress of a long action; the CLI draws a bar, the agent forwards it on the link. Called from worker threads. */
@FunctionalInterface
public interface Progress {
  Progress NONE = (done, total, message) -> {};

  /** {@code total} is 0 when unknown. */
  void update(long done, long total, String message);
}
