package io.pgferry.controller.journey;

/**
 * A routing column of the journey table: what the controller loop does when a node is lost while the journey stands
 * in a phase. {@code untilPointOfNoReturn}: the route closes once the phase's point-of-no-return step has started.
 */
public record LossRoute(Route route, boolean untilPointOfNoReturn) {
  public enum Route {
    /** Enter FAILOVER: B is promoted and the journey goes on from it. */
    FAILOVER,
    /** Rebuild the lost node and go back to the phase that builds it ({@link JourneyTable#buildingPhase}). */
    REBUILD,
    /** With durability sync, the primary stops waiting for the lost standby (async); `pgferry add-standby` replaces it. */
    DROP_TO_ASYNC,
    /** Nothing the journey does (the node is not one it can replace here). */
    NOT_ALLOWED
  }

  public static final LossRoute NOT_ALLOWED = new LossRoute(Route.NOT_ALLOWED, false);

  static LossRoute always(Route route) {
    return new LossRoute(route, false);
  }

  static LossRoute untilPointOfNoReturn(Route route) {
    return new LossRoute(route, true);
  }

  /** Whether this route is open in {@code rule}'s phase as the journal stands. */
  public boolean open(PhaseRule rule, JournalState st) {
    return route != Route.NOT_ALLOWED && !closed(rule, st);
  }

  /** Whether the phase's point of no return has started and so closed this route. */
  public boolean closed(PhaseRule rule, JournalState st) {
    return untilPointOfNoReturn && rule.pointOfNoReturn().map(id -> st.step(id).starts() > 0).orElse(false);
  }

  /** The column's cell as `pgferry plan` and docs/journey.md print it. */
  public String describe(PhaseRule rule) {
    String name = route == Route.NOT_ALLOWED ? "not allowed" : route.name();
    return untilPointOfNoReturn ? name + " (until " + rule.pointOfNoReturn().orElse("the end") + " starts)" : name;
  }
}
