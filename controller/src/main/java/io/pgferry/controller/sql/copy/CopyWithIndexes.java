package io.pgferry.controller.sql.copy;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.sql.SqlAction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The table-copy step of the snapshot copy: {@link SnapshotCopy} with each table's indexes and non-FK constraints built
 * as soon as its rows are in ({@link TableIndexBuild}, {@code indexJobs} sessions beside the copy streams). Done when
 * every item is copied and every queued build is done, so the subscription created next finds each table with its
 * primary key or replica identity index.
 */
public final class CopyWithIndexes implements SqlAction<CopyWithIndexes.Result> {
  /** What the copy and the builds beside it did. */
  public record Result(SnapshotCopy.Result copy, TableIndexBuild.Result indexes, double copySeconds, double seconds) {
    public String sentence() {
      return copy.sentence() + "; " + indexes.sentence() + String.format(Locale.ROOT, "; rows copied after %.1f s, builds done after %.1f s",
          copySeconds, seconds);
    }

    public Map<String, String> evidence() {
      Map<String, String> out = new HashMap<>(copy.evidence());
      out.put("indexes_built", String.valueOf(indexes.built()));
      out.put("indexes_present", String.valueOf(indexes.present()));
      out.put("index_jobs", String.valueOf(indexes.jobs()));
      out.put("copy_seconds", String.format(Locale.ROOT, "%.1f", copySeconds));
      out.put("seconds", String.format(Locale.ROOT, "%.1f", seconds));
      return out;
    }
  }

  private final SnapshotCopy copy;
  private final PgEndpoint source;
  private final PgEndpoint target;
  private final Path clientBinDir;
  private final int indexJobs;
  private final String maintenanceWorkMem;
  private Consumer<String> log;

  /**
   * @param indexJobs sessions on T building at once beside the copy (0: this host's cores)
   * @param maintenanceWorkMem per build session (empty: T's setting)
   */
  public CopyWithIndexes(SnapshotCopy copy, PgEndpoint source, PgEndpoint target, Path clientBinDir, int indexJobs, String maintenanceWorkMem) {
    this.copy = copy;
    this.source = source;
    this.target = target;
    this.clientBinDir = clientBinDir;
    this.indexJobs = indexJobs;
    this.maintenanceWorkMem = maintenanceWorkMem;
  }

  /** {@code log} is told of each build beside the copy as it ends ({@link TableIndexBuild#onBuilt}). */
  public CopyWithIndexes onBuilt(Consumer<String> log) {
    this.log = log;
    return this;
  }

  @Override
  public List<String> describe() {
    List<String> out = new ArrayList<>(copy.describe());
    out.add(TableIndexBuild.describe(target, indexJobs, maintenanceWorkMem));
    return out;
  }

  @Override
  public Result run() throws Exception {
    long started = System.nanoTime();
    try (TableIndexBuild indexes = new TableIndexBuild(source, target, clientBinDir, indexJobs, maintenanceWorkMem).onBuilt(log)) {
      SnapshotCopy.Result copied = copy.onTableCopied(indexes::tableCopied).run();
      double copySeconds = (System.nanoTime() - started) / 1e9;
      TableIndexBuild.Result built = indexes.finish();
      return new Result(copied, built, copySeconds, (System.nanoTime() - started) / 1e9);
    }
  }
}
