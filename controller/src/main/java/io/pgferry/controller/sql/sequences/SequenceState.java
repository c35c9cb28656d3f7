package io.pgferry.controller.sql.sequences;

import io.pgferry.controller.sql.TableRef;

/** A sequence's exact position: what nextval() continues from. */
public record SequenceState(TableRef sequence, long lastValue, boolean isCalled) {
  @Override
  public String toString() {
    return sequence + "=" + lastValue + (isCalled ? "" : " (not called)");
  }
}
