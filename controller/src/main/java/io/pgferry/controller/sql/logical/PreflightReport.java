package io.pgferry.controller.sql.logical;

import java.util.List;

/** Every finding of a logical preflight at once; {@link #ok()} when there is no blocker. */
public record PreflightReport(List<Finding> findings) {
  public PreflightReport {
    findings = List.copyOf(findings);
  }

  public List<Finding> blockers() {
    return findings.stream().filter(f -> f.severity() == Finding.Severity.BLOCKER).toList();
  }

  public List<Finding> of(String check) {
    return findings.stream().filter(f -> f.check().equals(check)).toList();
  }

  public boolean ok() {
    return blockers().isEmpty();
  }

  public String format() {
    StringBuilder sb = new StringBuilder(ok() ? "logical preflight: no blockers\n" : "logical preflight: " + blockers().size() + " blocker(s)\n");
    findings.forEach(f -> sb.append("  ").append(f).append('\n'));
    return sb.toString();
  }
}
