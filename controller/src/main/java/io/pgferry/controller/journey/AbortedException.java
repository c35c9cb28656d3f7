package io.pgferry.controller.journey;

/** Thrown out of a wait when `pgferry abort` asked the journey to stop. */
public final class AbortedException extends RuntimeException {
  public AbortedException(String message) {
    super(message);
  }
}
