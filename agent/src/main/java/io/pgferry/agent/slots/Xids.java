package io.pgferry.agent.slots;

/** Transaction ids as PostgreSQL orders them: 32-bit, compared modulo 2^32 (TransactionIdPrecedes). */
final class Xids {
  private Xids() {}

  /** a is at or before b, wraparound-aware. */
  static boolean atOrBefore(long a, long b) {
    return (int) (a - b) <= 0;
  }
}
