package io.pgferry.agent.converge;

/**
 * A failed transition, classified. A {@link Kind#PERMANENT} one cannot succeed by retrying (another cluster in the
 * data dir, a former primary asked to stream without a rebuild, no row in the table): the converger reports it once
 * and waits for the goal or the record to change. Any other exception is {@link Kind#RETRIABLE} and retried with
 * backoff (an unreachable upstream, a failed pg_basebackup).
 */
public final class ConvergeError extends RuntimeException {
  public enum Kind { PERMANENT, RETRIABLE }

  private final Kind kind;

  private ConvergeError(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /** An error that retrying cannot mend; the message says what a person must change. */
  public static ConvergeError permanent(String message) {
    return new ConvergeError(Kind.PERMANENT, message);
  }

  public Kind kind() {
    return kind;
  }

  /** PERMANENT only for a permanent ConvergeError; everything else is worth another try. */
  public static Kind kindOf(Throwable t) {
    return t instanceof ConvergeError c ? c.kind : Kind.RETRIABLE;
  }
}
