package io.pgferry.controller.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * DESIGN.md §2: B is promoted only after A's lease - as the controller granted it - has expired, plus a margin.
 * When the controller does not know the lease (it restarted and has not heard from A since), it assumes A may hold
 * one of {@code maxLease} from when the failover began. An agent that acknowledged its FENCED goal with PostgreSQL
 * stopped needs no wait: it has already stopped writing (planned switchover).
 */
public final class SplitBrainRule {
  private SplitBrainRule() {}

  public record Decision(boolean mayPromote, Instant notBefore, String reason) {}

  public static Decision decide(Optional<Instant> leaseExpiresAt, Instant failoverStartedAt, Duration maxLease,
                                Duration margin, boolean fencedAcknowledged, Instant now) {
    Instant expiry = leaseExpiresAt.orElse(failoverStartedAt.plus(maxLease));
    Instant notBefore = expiry.plus(margin);
    String lease = leaseExpiresAt.map(e -> "A's lease expires " + e).orElse("A's lease unknown: assuming " + maxLease.toMillis()
        + " ms from " + failoverStartedAt);
    if (fencedAcknowledged) {
      return new Decision(true, now, "A's agent acknowledged FENCED with PostgreSQL stopped (" + lease + ")");
    }
    if (!now.isBefore(notBefore)) {
      return new Decision(true, notBefore, lease + "; margin " + margin.toMillis() + " ms passed at " + notBefore);
    }
    return new Decision(false, notBefore, lease + "; promoting B not before " + notBefore + " ("
        + Duration.between(now, notBefore).toMillis() + " ms left)");
  }
}
