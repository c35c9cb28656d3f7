package io.pgferry.controller.sql.collation;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * What {@link CollationCheck} found on one database: the collation versions recorded in the restored catalog
 * against those the local C library (or ICU) gives now, and amcheck's verdict on every btree index over a
 * collatable column whose order depends on them.
 *
 * @param versions one line per collation: recorded version, actual version
 * @param mismatched the collations whose recorded version differs from the actual one (evidence of a new sort order)
 * @param amcheck whether amcheck is installed in the database (a hot standby cannot create it)
 * @param atRisk every index checked or, without amcheck, that would have been
 * @param broken indexes bt_index_check reported as corrupt, with its message
 * @param unchecked indexes that could not be checked (lock or statement timeout...), with the reason
 */
public record CollationReport(String database, List<String> versions, List<String> mismatched, boolean amcheck,
                              List<String> atRisk, List<Broken> broken, List<String> unchecked, long indexBytes,
                              Duration took) {
  public record Broken(String index, String table, String error) {
    @Override
    public String toString() {
      return index + " on " + table + ": " + error;
    }
  }

  /** Nothing proven broken and, where amcheck could not look, no version change either. */
  public boolean clean() {
    return broken.isEmpty() && unchecked.isEmpty() && (amcheck || mismatched.isEmpty());
  }

  /** The indexes to rebuild: those proven broken, or every index at risk when the versions changed and amcheck could not look. */
  public List<String> toReindex() {
    if (!broken.isEmpty() || amcheck) {
      return Stream.concat(broken.stream().map(Broken::index), unchecked.stream().map(u -> u.split(" ", 2)[0]))
          .distinct().toList();
    }
    return mismatched.isEmpty() ? List.of() : atRisk;
  }

  public String summary() {
    StringBuilder s = new StringBuilder("collation check of ").append(database).append(": ");
    s.append(versions.isEmpty() ? "no collation version recorded" : "versions " + String.join("; ", versions));
    if (!mismatched.isEmpty()) {
      s.append("; CHANGED since the source: ").append(String.join(", ", mismatched));
    }
    if (amcheck) {
      s.append("; amcheck bt_index_check on ").append(atRisk.size()).append(" index(es) over collatable columns (")
          .append(indexBytes).append(" bytes) in ").append(took.toMillis()).append(" ms: ")
          .append(broken.isEmpty() ? "none broken" : broken.size() + " BROKEN: " + broken);
      if (!unchecked.isEmpty()) {
        s.append("; not checked: ").append(unchecked);
      }
    } else {
      s.append("; amcheck is not installed in the restored catalog: ").append(atRisk.size())
          .append(" index(es) over collatable columns not checked").append(atRisk.isEmpty() ? "" : " " + atRisk);
    }
    return s.toString();
  }
}
