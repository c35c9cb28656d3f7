package io.pgferry.common;

/** A PostgreSQL WAL position ("16/B374D848"). Comparable; {@link #INVALID} for "none". */
public record Lsn(long value) implements Comparable<Lsn> {
  public static final Lsn INVALID = new Lsn(0);

  public static Lsn parse(String text) {
    if (text == null || text.isBlank()) {
      return INVALID;
    }
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not an LSN (expected X/Y hex): " + text);
    }
    long hi = Long.parseUnsignedLong(text.substring(0, slash).trim(), 16);
    long lo = Long.parseUnsignedLong(text.substring(slash + 1).trim(), 16);
    return new Lsn((hi << 32) | lo);
  }

  public boolean isValid() {
    return value != 0;
  }

  /** Bytes from {@code earlier} to this position; 0 when this one is not ahead. */
  public long bytesAfter(Lsn earlier) {
    return Math.max(0, value - earlier.value);
  }

  /** WAL segment number for the given segment size (16 MiB by default). */
  public long segmentNumber(long segmentSize) {
    return Long.divideUnsigned(value, segmentSize);
  }

  @Override
  public int compareTo(Lsn other) {
    return Long.compareUnsigned(value, other.value);
  }

  @Override
  public String toString() {
    return String.format("%X/%X", value >>> 32, value & 0xFFFFFFFFL);
  }
}
