package io.pgferry.controller.switching;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How the app is moved from one database to another (DESIGN.md §4): Heroku Platform API, PgBouncer, or user
 * commands. Blocking (call from worker threads). Each step is idempotent, so a resumed journey may repeat it.
 * A cutover is: blockWrites -> (wait for the target) -> repoint -> unblock; on failure before repoint: unblock.
 */
public interface AppSwitcher {
  String name();

  /** Stops the app's writes (PgBouncer PAUSE, Heroku maintenance on, hook). Bounded by a timeout; on timeout it undoes itself and throws. */
  void blockWrites() throws SwitchException;

  /** Points the app at {@code target} (PgBouncer [databases] entry + RELOAD, Heroku config var, hook). */
  void repoint(DatabaseEndpoint target) throws SwitchException;

  /** Lets writes flow again (RESUME, maintenance off, hook). Safe to call when not blocked. */
  void unblock() throws SwitchException;

  /** Where the app points now, read back from the switch itself (for verification and resume). */
  DatabaseEndpoint current() throws SwitchException;

  /** What {@link #blockWrites} does, with the exact commands/HTTP calls, for `pgferry plan`. Touches nothing. */
  List<String> describeBlock();

  /** What {@link #repoint} to {@code target} does and how it is checked ({@link #current}). Touches nothing. */
  List<String> describeRepoint(DatabaseEndpoint target);

  /** What {@link #unblock} does. Touches nothing. */
  List<String> describeUnblock();

  /**
   * This switch with its block bounded by {@code bound}, when blocking makes the app's clients wait rather than fail
   * (PgBouncer: PAUSE queues them): a failover pauses the app with it while B is promoted, so requests are served by
   * B instead of failing on a dead A. Empty when clients cannot wait (Heroku's maintenance mode answers 503; what a
   * command switch's block does is the operator's).
   */
  default Optional<AppSwitcher> queueingClients(Duration bound) {
    return Optional.empty();
  }
}
