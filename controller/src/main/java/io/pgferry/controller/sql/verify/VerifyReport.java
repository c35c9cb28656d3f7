package io.pgferry.controller.sql.verify;

import java.util.List;

/** A verification of every table: DESIGN §11's {@code verification: {tables, mismatched_tables}}. */
public record VerifyReport(VerifyMode mode, List<TableVerification> tables) {
  public VerifyReport {
    tables = List.copyOf(tables);
  }

  public List<TableVerification> mismatched() {
    return tables.stream().filter(t -> !t.ok()).toList();
  }

  public boolean ok() {
    return mismatched().isEmpty();
  }

  public String format() {
    return format("A");
  }

  /** @param source what the compared source is called (A, or B after a failover) */
  public String format(String source) {
    StringBuilder sb = new StringBuilder("verify (" + mode.name().toLowerCase() + "): " + tables.size() + " tables, " + mismatched().size()
        + " mismatched\n");
    tables.forEach(t -> sb.append("  ").append(t.format(source)).append('\n'));
    return sb.toString();
  }
}
