package io.pgferry.archive.format;

import java.util.regex.Pattern;

/**
 * Names of files PostgreSQL archives: 24-hex segments (timeline, log, seg), {@code <TLI>.history},
 * {@code <seg>.<off>.backup} and {@code <seg>.partial}.
 */
public final class WalNames {
  public static final long DEFAULT_SEGMENT_SIZE = 16L * 1024 * 1024;
  private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
  private static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");
  private static final Pattern ANY = Pattern.compile("[0-9A-F]{24}(\\.partial|\\.[0-9A-F]{8}\\.backup)?|[0-9A-F]{8}\\.history");

  private WalNames() {}

  public static boolean isSegment(String name) {
    return SEGMENT.matcher(name).matches();
  }

  public static boolean isHistory(String name) {
    return HISTORY.matcher(name).matches();
  }

  /** Anything PostgreSQL may hand archive_command or ask restore_command for. */
  public static boolean isArchivable(String name) {
    return ANY.matcher(name).matches();
  }

  public static int timeline(String segment) {
    return Integer.parseUnsignedInt(segment.substring(0, 8), 16);
  }

  static long segmentsPerXlogId(long segmentSize) {
    return 0x100000000L / segmentSize;
  }

  /** The segment number (LSN / segment size) a segment name stands for. */
  public static long segmentNumber(String segment, long segmentSize) {
    long log = Long.parseLong(segment.substring(8, 16), 16);
    long seg = Long.parseLong(segment.substring(16, 24), 16);
    return log * segmentsPerXlogId(segmentSize) + seg;
  }

  public static String name(int timeline, long segmentNumber, long segmentSize) {
    long per = segmentsPerXlogId(segmentSize);
    return String.format("%08X%08X%08X", timeline, segmentNumber / per, segmentNumber % per);
  }

  public static String next(String segment, long segmentSize) {
    return name(timeline(segment), segmentNumber(segment, segmentSize) + 1, segmentSize);
  }

  /**
   * The segment name {@code pg_walfile_name_offset} gives for an LSN: a position exactly on a segment boundary
   * belongs to the previous segment (XLByteToPrevSeg), as WAL-E's names assume.
   */
  public static String fileNameForLsn(int timeline, long lsn, long segmentSize) {
    return name(timeline, (lsn - 1) / segmentSize, segmentSize);
  }

  /** WAL-E's offset field: the byte offset within the segment, as decimal text padded to 8 characters. */
  public static String offsetField(long lsn, long segmentSize) {
    return String.format("%08d", lsn % segmentSize);
  }
}
