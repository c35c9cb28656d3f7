package io.pgferry.agent.goal;

/**
 * How far agent.yaml's {@code goals:} block widens what a goal may carry (docs/contracts.md).
 *
 * @param allowWideAddress pg_hba addresses wider than a /16 (IPv4) or /48 (IPv6); a /0 is never accepted
 * @param allowTrust pg_hba method trust (tests whose clusters have no passwords; never in production)
 */
public record GoalLimits(boolean allowWideAddress, boolean allowTrust) {
  public static final GoalLimits STRICT = new GoalLimits(false, false);
}
