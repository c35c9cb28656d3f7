package io.pgferry.agent.fence;

import io.pgferry.agent.cluster.Observation;
import io.pgferry.proto.Replica;
import java.time.Duration;

/**
 * Until when one observation proves that the standby {@code application_name} streams from this primary: its walsender
 * row is streaming and its last reply is younger than {@code maxAge}. PG 12+: reply_time. PG 11 has none: a
 * walsender whose standby stopped replying is ended after wal_sender_timeout, so the row's presence proves a reply
 * within that time; usable only when wal_sender_timeout is below {@code maxAge}. Pure.
 */
public final class StandbyEvidence {
  private StandbyEvidence() {}

  /** System.nanoTime() until which the evidence holds, or null when this observation proves nothing. */
  public static Long until(Observation o, String standbyApplicationName, Duration maxAge) {
    if (standbyApplicationName == null || standbyApplicationName.isEmpty() || !o.reachable() || o.inRecovery()) {
      return null;
    }
    for (Replica r : o.replicas()) {
      if (!r.getApplicationName().equals(standbyApplicationName) || !"streaming".equals(r.getState())) {
        continue;
      }
      long ageMs;
      if (o.major() >= 12 && r.getReplyAgeMs() >= 0) {
        ageMs = r.getReplyAgeMs();
      } else if (o.major() < 12 && o.walSenderTimeoutMs() > 0 && o.walSenderTimeoutMs() < maxAge.toMillis()) {
        ageMs = o.walSenderTimeoutMs();
      } else {
        continue;
      }
      if (ageMs >= maxAge.toMillis()) {
        continue;
      }
      return o.atNanos() - ageMs * 1_000_000 + maxAge.toNanos();
    }
    return null;
  }
}
