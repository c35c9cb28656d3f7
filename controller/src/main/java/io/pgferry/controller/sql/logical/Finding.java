package io.pgferry.controller.sql.logical;

/**
 * One thing the logical preflight found: a BLOCKER stops the journey, a WARNING is shown, INFO says what pgferry
 * will do about something logical replication does not carry by itself.
 */
public record Finding(Severity severity, String check, String object, String problem, String action) {
  public enum Severity { BLOCKER, WARNING, INFO }

  @Override
  public String toString() {
    return severity + " " + check + (object == null ? "" : " [" + object + "]") + ": " + problem + (action == null ? "" : " -> " + action);
  }
}
