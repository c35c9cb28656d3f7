package io.pgferry.controller.plan;

/** One thing wrong (or doubtful) in a plan file, with where it is. Line and column are 1-based; 0 when unknown. */
public record PlanProblem(Severity severity, int line, int column, String path, String message) {
  public enum Severity { ERROR, WARNING }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** {@code plan.yaml:12:5: error: nodes.standby: ...}, the form compilers use, so editors can jump to it. */
  public String format(String fileName) {
    String where = line > 0 ? fileName + ":" + line + ":" + column : fileName;
    return where + ": " + severity.name().toLowerCase() + ": " + (path.isEmpty() ? "" : path + ": ") + message;
  }
}
