package io.pgferry.controller.sql.verify;

import io.pgferry.controller.sql.TableRef;
import java.util.List;

/**
 * The verdict on one table: rows on A and T, how many chunks were compared, and the chunks that differ
 * (named by key range). {@code problem} is set when the table could not be compared (missing on T).
 */
public record TableVerification(TableRef table, VerifyMode mode, long sourceRows, long targetRows, int chunks, List<Mismatch> mismatches,
                                String problem) {
  /** A chunk whose count or checksum differs. */
  public record Mismatch(KeyRange range, long sourceRows, long targetRows, String sourceChecksum, String targetChecksum) {
    @Override
    public String toString() {
      return format("A");
    }

    /** @param source what the compared source is called (A, or B after a failover) */
    public String format(String source) {
      return range + ": " + sourceRows + " rows on " + source + ", " + targetRows + " on T" + (sourceRows == targetRows ? ", contents differ" : "");
    }
  }

  public TableVerification {
    mismatches = List.copyOf(mismatches);
  }

  public boolean ok() {
    return problem == null && sourceRows == targetRows && mismatches.isEmpty();
  }

  @Override
  public String toString() {
    return format("A");
  }

  /** @param source what the compared source is called (A, or B after a failover) */
  public String format(String source) {
    if (problem != null) {
      return table + ": " + problem;
    }
    String head = table + ": " + sourceRows + " rows on " + source + ", " + targetRows + " on T" + (mode == VerifyMode.FULL ? ", " + chunks + " chunk(s)" : "");
    return ok() ? head + ", equal" : head + ", DIFFERENT" + (mismatches.isEmpty() ? ""
        : ": " + mismatches.stream().map(m -> m.format(source)).toList());
  }
}
