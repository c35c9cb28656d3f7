package io.pgferry.controller.sql.logical;

/** Names of the objects pgferry creates for logical replication A -> T (and the reverse T -> A). */
public record LogicalNames(String publication, String subscription, String slot, String role) {
  public static final LogicalNames DEFAULT = new LogicalNames("pgferry_pub", "pgferry_sub", "pgferry_sub", "pgferry_repl");
  public static final LogicalNames REVERSE = new LogicalNames("pgferry_reverse_pub", "pgferry_reverse_sub", "pgferry_reverse_sub",
      "pgferry_reverse_repl");
}
