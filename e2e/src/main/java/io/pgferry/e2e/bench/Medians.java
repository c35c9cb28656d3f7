package io.pgferry.e2e.bench;

import java.util.Arrays;
import java.util.List;

final class Medians {
  private Medians() {}

  static double of(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static String spread(List<Double> values) {
    return "n=" + values.size() + " " + Arrays.toString(values.stream().mapToDouble(d -> Math.round(d * 1000) / 1000.0).toArray());
  }
}
