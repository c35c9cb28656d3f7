package io.pgferry.controller.store;

import java.util.Optional;

/**
 * Whether this controller is the one that acts (runs the journey, assigns goals, renews agent leases). Embedded: it
 * always is. etcd: whoever holds the leader key ({@link LeaderElection}).
 */
public interface Leadership extends AutoCloseable {
  boolean leading();

  /** The leader's advertised address (what followers name in their refusals), when known. */
  Optional<String> leader();

  /** Times the leader changed as this controller saw it (0 with the embedded store). */
  default long leaderChanges() {
    return 0;
  }

  /** The control plane as this controller sees it (etcd: reads etcd and asks each member's /health; blocking). */
  default ControlPlane controlPlane() {
    return ControlPlane.embedded();
  }

  /** What the controller does when it becomes leader and when it must stop acting; called on the election's thread. */
  interface Listener {
    void elected();

    void deposed(String why);
  }

  @Override
  void close();

  /** The embedded store's: one controller, always leading. */
  Leadership ALWAYS = new Leadership() {
    @Override
    public boolean leading() {
      return true;
    }

    @Override
    public Optional<String> leader() {
      return Optional.empty();
    }

    @Override
    public void close() {}
  };
}
