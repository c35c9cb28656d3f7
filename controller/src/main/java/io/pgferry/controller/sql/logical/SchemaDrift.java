package io.pgferry.controller.sql.logical;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * DDL on A after setup: what appeared and what went away in A's schema fingerprint. Logical replication does not
 * carry DDL, so any drift blocks cutover 2 until the same DDL is on T: the next look sees T's fingerprint match and
 * the journey goes on by itself.
 */
public record SchemaDrift(List<String> added, List<String> removed) {
  public static SchemaDrift between(SchemaFingerprint atSetup, SchemaFingerprint now) {
    Set<String> before = new TreeSet<>(atSetup.lines());
    Set<String> after = new TreeSet<>(now.lines());
    List<String> added = new ArrayList<>(after);
    added.removeAll(before);
    List<String> removed = new ArrayList<>(before);
    removed.removeAll(after);
    return new SchemaDrift(added, removed);
  }

  /**
   * What is still not on T: added lines T's fingerprint lacks and removed lines T still has. Empty once the same
   * DDL was applied to T, which resolves the drift.
   */
  public SchemaDrift unresolvedOn(SchemaFingerprint target) {
    Set<String> t = new TreeSet<>(target.lines());
    return new SchemaDrift(added.stream().filter(l -> !t.contains(l)).toList(), removed.stream().filter(t::contains).toList());
  }

  public boolean none() {
    return added.isEmpty() && removed.isEmpty();
  }

  /** Whether cutover 2 must wait. */
  public boolean blocksCutover() {
    return !none();
  }

  public String warning() {
    return warning("A");
  }

  /** {@code publisher}: "A", or "B" once a failover made B the publisher. */
  public String warning(String publisher) {
    if (none()) {
      return "no schema change on " + publisher + " since setup";
    }
    StringBuilder sb = new StringBuilder("schema changed on " + publisher + " since logical setup, not by a statement pgferry"
        + " recorded (DDL is not replicated): apply the same DDL to T; cutover 2 waits until T has it and then goes on by"
        + " itself: ");
    added.forEach(l -> sb.append("\n  + ").append(l));
    removed.forEach(l -> sb.append("\n  - ").append(l));
    return sb.toString();
  }
}
