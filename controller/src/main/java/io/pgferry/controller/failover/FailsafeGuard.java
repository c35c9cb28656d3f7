package io.pgferry.controller.failover;

import java.time.Duration;
import java.time.Instant;

/**
 * The controller's half of the failsafe rule (docs/failsafe.md): B is never promoted while its WAL receiver streams
 * from A, nor until it has been down for the failsafe window. A PRIMARY whose lease could not be renewed keeps
 * serving while B replies to it; B's agent reports how long its receiver has been down, and A, seeing B's replies
 * stop, fences itself within the window. So once the window has passed since B's receiver went down, A takes no
 * more writes, lease or not. And B is promoted in A's place only when A's goal named B: a PRIMARY whose goal names
 * no standby serves on without a lease ({@link #standbyNamed}). Pure: the caller passes what B's agent last reported
 * and the time.
 */
public final class FailsafeGuard {
  private FailsafeGuard() {}

  public record Decision(boolean mayPromote, Instant notBefore, String reason) {}

  /**
   * @param bConnected   B's agent link is up (without it nothing is known of B's receiver)
   * @param bWalReceiver B's Status.wal_receiver_status
   * @param bDownMs      B's Status.wal_receiver_down_ms (-1: streaming)
   * @param bStatusAt    when the controller received that Status (never earlier than B sent it: a later stamp only
   *                     moves the promotion later)
   * @param window       the failsafe window (FailsafeTiming.window())
   */
  public static Decision decide(String b, boolean bConnected, String bWalReceiver, long bDownMs, Instant bStatusAt,
                                Duration window, Instant now) {
    if (!bConnected || bStatusAt == null) {
      return new Decision(false, null, b + "'s agent is not connected: whether its WAL receiver streams from the old"
          + " primary (which would keep serving on it) is unknown");
    }
    if ("streaming".equals(bWalReceiver) || bDownMs < 0) {
      return new Decision(false, null, b + "'s WAL receiver streams from the old primary: it may still be serving"
          + " (failsafe); no promotion while it does");
    }
    Instant notBefore = bStatusAt.minusMillis(bDownMs).plus(window);
    if (now.isBefore(notBefore)) {
      return new Decision(false, notBefore, b + "'s WAL receiver down " + bDownMs + " ms; the old primary may serve"
          + " (failsafe) until " + notBefore + " (" + Duration.between(now, notBefore).toMillis() + " ms left)");
    }
    return new Decision(true, notBefore, b + "'s WAL receiver down since " + bStatusAt.minusMillis(bDownMs)
        + ", failsafe window " + window.toMillis() + " ms passed at " + notBefore);
  }

  /**
   * A PRIMARY whose goal names no standby (Goal.failsafe_standby empty) serves on when its lease lapses: nobody could
   * be promoted in its place (docs/failsafe.md). So B may replace A only if A's goal named B, which makes A fence
   * itself (lease and B's evidence gone) as the split-brain rule and {@link #decide} assume; or if A acknowledged
   * FENCED with PostgreSQL stopped, which needs no rule of A's.
   *
   * @param aNamed the failsafe_standby of A's PRIMARY goal (carried into its FENCED goal by failover.fence_a)
   * @param bApplicationName B's application_name (Goals.applicationName)
   */
  public static Decision standbyNamed(String a, String aNamed, String b, String bApplicationName, boolean aFencedAck) {
    if (aFencedAck) {
      return new Decision(true, null, a + " acknowledged FENCED");
    }
    if (bApplicationName.equals(aNamed)) {
      return new Decision(true, null, a + "'s goal named " + b + " (" + bApplicationName + "): it fences when neither"
          + " the controller nor " + b + " keeps it up");
    }
    return new Decision(false, null, a + "'s goal named " + (aNamed == null || aNamed.isEmpty() ? "no standby"
        : "the standby " + aNamed + ", not " + b) + ": it may serve on without a lease (docs/failsafe.md); " + b
        + " is promoted only once " + a + " acknowledges FENCED");
  }
}
