package io.pgferry.common.pg;

import java.time.Duration;

/** The bounds of one session (see {@link Purpose}); {@link Duration#ZERO} means no bound. */
public record Timeouts(Duration connect, Duration socket, Duration statement, Duration lock) {
  public Timeouts {
    connect = orZero(connect);
    socket = orZero(socket);
    statement = orZero(statement);
    lock = orZero(lock);
  }

  /** These bounds with each non-null value of {@code override} instead. */
  public Timeouts with(Duration connect, Duration socket, Duration statement, Duration lock) {
    return new Timeouts(connect != null ? connect : this.connect, socket != null ? socket : this.socket,
        statement != null ? statement : this.statement, lock != null ? lock : this.lock);
  }

  /** pgjdbc takes whole seconds; a bound below one second becomes one second, never "none". */
  static String seconds(Duration d) {
    if (d.isZero() || d.isNegative()) {
      return "0";
    }
    return String.valueOf(Math.max(1, (d.toMillis() + 999) / 1000));
  }

  @Override
  public String toString() {
    return "connect " + seconds(connect) + " s, socket " + seconds(socket) + " s, statement_timeout " + statement.toMillis()
        + " ms, lock_timeout " + lock.toMillis() + " ms";
  }

  private static Duration orZero(Duration d) {
    return d == null ? Duration.ZERO : d;
  }
}
