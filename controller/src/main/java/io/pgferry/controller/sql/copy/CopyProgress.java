package io.pgferry.controller.sql.copy;

import io.pgferry.controller.sql.TableRef;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Live counters of the snapshot copy: per table the bytes streamed (COPY data, A -> T) and rows committed, items
 * done; overall percent (items done count their estimate, running items their streamed bytes up to their
 * estimate), MB/s since this run started, and the ETA at that rate. Thread-safe; {@link #view()} is a copy.
 */
public final class CopyProgress {
  /** One table's counters. */
  public record TableView(String table, long estimatedBytes, long bytes, long rows, int itemsDone, int items) {}

  /** The whole copy at one moment. */
  public record View(List<TableView> tables, int itemsDone, int items, long bytes, long rows, long estimatedBytes, double percent,
                     double mbPerSecond, Duration eta, boolean finished) {
    /** "copy 42.0% (12/30 ranges): 1234 MB, 5000000 rows, 85.3 MB/s, ETA 2m10s" */
    public String sentence() {
      return String.format(Locale.ROOT, "copy %.1f%% (%d/%d tables and ranges): %d MB streamed, %d rows committed, %.1f MB/s, ETA %s",
          percent, itemsDone, items, bytes / 1_000_000, rows, mbPerSecond, eta == null ? "?" : format(eta));
    }

    /** A text bar of {@code width} cells for percent. */
    public String bar(int width) {
      int full = (int) Math.round(Math.max(0, Math.min(100, percent)) / 100.0 * width);
      return "[" + "#".repeat(full) + ".".repeat(width - full) + "]";
    }
  }

  private static final class Counts {
    long estimated;
    long bytes;
    long rows;
    int done;
    int items;
  }

  private final Clock clock;
  private final Instant started;
  private final Map<TableRef, Counts> tables = new LinkedHashMap<>();
  private final Map<String, long[]> running = new LinkedHashMap<>(); // item -> {streamed, estimate}
  private long doneEstimate;
  private long bytesThisRun;
  private boolean finished;

  CopyProgress(Clock clock, List<CopyLedger.Entry> entries) {
    this.clock = clock;
    this.started = clock.instant();
    for (CopyLedger.Entry e : entries) {
      Counts c = tables.computeIfAbsent(e.item().table(), t -> new Counts());
      c.estimated += e.item().estimatedBytes();
      c.items++;
      if (e.done()) {
        c.done++;
        c.bytes += e.bytes();
        c.rows += e.rows();
        doneEstimate += e.item().estimatedBytes();
      }
    }
  }

  synchronized void streamed(CopyItem item, long bytes) {
    running.computeIfAbsent(item.id(), k -> new long[] {0, item.estimatedBytes()})[0] += bytes;
    tables.get(item.table()).bytes += bytes;
    bytesThisRun += bytes;
  }

  synchronized void done(CopyItem item, long rows) {
    running.remove(item.id());
    Counts c = tables.get(item.table());
    c.rows += rows;
    c.done++;
    doneEstimate += item.estimatedBytes();
  }

  /** An item that failed: its streamed bytes were rolled back on T. */
  synchronized void failed(CopyItem item) {
    long[] r = running.remove(item.id());
    if (r != null) {
      tables.get(item.table()).bytes -= r[0];
    }
  }

  synchronized void finish() {
    finished = true;
  }

  public synchronized View view() {
    List<TableView> out = new ArrayList<>();
    long est = 0;
    long bytes = 0;
    long rows = 0;
    int done = 0;
    int items = 0;
    for (Map.Entry<TableRef, Counts> e : tables.entrySet()) {
      Counts c = e.getValue();
      out.add(new TableView(e.getKey().toString(), c.estimated, c.bytes, c.rows, c.done, c.items));
      est += c.estimated;
      bytes += c.bytes;
      rows += c.rows;
      done += c.done;
      items += c.items;
    }
    long progressed = doneEstimate;
    for (long[] r : running.values()) {
      progressed += Math.min(r[0], r[1]);
    }
    double percent = finished || est == 0 ? (done == items ? 100.0 : 0.0) : Math.min(99.9, 100.0 * progressed / est);
    double seconds = Math.max(0.001, Duration.between(started, clock.instant()).toMillis() / 1000.0);
    double mbps = bytesThisRun / 1_000_000.0 / seconds;
    Duration eta = null;
    if (done == items) {
      eta = Duration.ZERO;
    } else if (bytesThisRun > 0) {
      eta = Duration.ofSeconds((long) (Math.max(0, est - progressed) / (bytesThisRun / seconds)));
    }
    return new View(out, done, items, bytes, rows, est, percent, mbps, eta, finished);
  }

  static String format(Duration d) {
    long s = d.toSeconds();
    return s >= 3600 ? (s / 3600) + "h" + (s % 3600 / 60) + "m" : s >= 60 ? (s / 60) + "m" + (s % 60) + "s" : s + "s";
  }
}
