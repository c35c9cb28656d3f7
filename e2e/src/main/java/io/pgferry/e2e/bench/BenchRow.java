package io.pgferry.e2e.bench;

/** One line of the ./bench table: pgferry's figure beside the baseline measured in the same run. */
record BenchRow(String measure, String pgferry, String baseline, String ratio, String note) {
  static BenchRow of(String measure, double value, double baseline, String unit, String baselineName) {
    String ratio = baseline > 0 ? String.format("%.2f", value / baseline) : "-";
    return new BenchRow(measure, fmt(value, unit), baseline > 0 ? fmt(baseline, unit) + " (" + baselineName + ")" : "-", ratio, "");
  }

  static BenchRow single(String measure, double value, String unit, String note) {
    return new BenchRow(measure, fmt(value, unit), "-", "-", note);
  }

  static String fmt(double v, String unit) {
    return (v >= 100 ? String.format("%.0f", v) : v >= 10 ? String.format("%.1f", v) : String.format("%.2f", v)) + " " + unit;
  }
}
