package io.pgferry.controller.journey;

/**
 * A compare-and-set write lost: another controller wrote the same record (a journal sequence number, the goals, the
 * plan copy) first, or this controller no longer holds the leader key. The writer is no longer the one that acts:
 * it must stop, and must not undo anything (the new leader decides from the store).
 */
public final class StoreSuperseded extends RuntimeException {
  public StoreSuperseded(String message) {
    super(message);
  }
}
