package io.pgferry.controller.sql.sequences;

import java.util.List;

/**
 * What a sequence sync found and did: DESIGN §11's {@code sequences: {checked, mismatched}}, where mismatched
 * counts the sequences still different afterwards (0 after a successful run); {@code set} lists what was changed.
 */
public record SequenceReport(int checked, List<String> set, List<String> missingOnTarget, int mismatched) {
  public SequenceReport {
    set = List.copyOf(set);
    missingOnTarget = List.copyOf(missingOnTarget);
  }

  public boolean ok() {
    return mismatched == 0 && missingOnTarget.isEmpty();
  }

  @Override
  public String toString() {
    return "sequences: " + checked + " checked, " + set.size() + " set" + (set.isEmpty() ? "" : " " + set) + ", " + mismatched + " mismatched"
        + (missingOnTarget.isEmpty() ? "" : ", missing on target: " + missingOnTarget);
  }
}
