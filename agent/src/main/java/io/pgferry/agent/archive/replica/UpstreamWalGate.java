package io.pgferry.agent.archive.replica;

import io.pgferry.archive.format.WalNames;
import io.pgferry.agent.archive.wal.SegmentGate;
import io.pgferry.agent.cluster.UpstreamProbe;
import io.pgferry.agent.recovery.UpstreamTls;
import io.pgferry.common.Lsn;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Keeps a streaming standby from restoring a segment its upstream does not hold yet. A standby whose upstream is
 * itself an archive replica (B streaming from A before cutover 1) reads the same archive: left alone it restores
 * segment N as soon as it appears, then asks A to stream from N+1 while A is still replaying N, is refused ("requested
 * starting point is ahead of the WAL flush position"), goes back to the archive, and can go round that loop for as
 * long as WAL keeps arriving. Serving only segments the upstream already holds makes the first refusal from the
 * archive land on WAL that the upstream can stream. When the upstream cannot be asked (down, no route), everything
 * is served: the archive is the fallback it exists to be.
 */
final class UpstreamWalGate implements SegmentGate {
  private static final long CACHE_NANOS = 500_000_000L;

  /** The upstream's WAL flush position as its walsender sees it (IDENTIFY_SYSTEM's xlogpos). */
  @FunctionalInterface
  interface Position {
    Lsn of(Upstream upstream) throws SQLException;
  }

  private final Supplier<Goal> goal;
  private final Position position;
  private Upstream askedOf;
  private Optional<Lsn> known = Optional.empty();
  private long askedAtNanos;

  UpstreamWalGate(Supplier<Goal> goal, Position position) {
    this.goal = goal;
    this.position = position;
  }

  /** Asks over a physical replication connection, the one access a standby's replication role is sure to have. */
  static Position identifySystem(Path defaultPassfile, String defaultUser, UpstreamTls tls) {
    return u -> {
      Upstream asked = u.getUser().isEmpty() ? u.toBuilder().setUser(defaultUser).build() : u;
      Path passfile = u.getPasswordFile().isEmpty() ? defaultPassfile : Path.of(u.getPasswordFile());
      return Lsn.parse(UpstreamProbe.identify(asked, passfile, tls).xlogpos());
    };
  }

  @Override
  public Optional<String> holdBack(String segment, long segmentSize) {
    Goal g = goal.get();
    if (g == null || g.getState() != NodeState.STREAMING_STANDBY || g.getUpstream().getHost().isEmpty()) {
      return Optional.empty();
    }
    Optional<Lsn> upstreamAt = upstreamPosition(g.getUpstream());
    if (upstreamAt.isEmpty()) {
      return Optional.empty();
    }
    long segmentEnd = (WalNames.segmentNumber(segment, segmentSize) + 1) * segmentSize;
    if (Long.compareUnsigned(upstreamAt.get().value(), segmentEnd) >= 0) {
      return Optional.empty();
    }
    return Optional.of("upstream " + g.getUpstream().getHost() + ":" + g.getUpstream().getPort() + " holds WAL up to "
        + upstreamAt.get() + " only; stream " + segment + " from it instead");
  }

  private synchronized Optional<Lsn> upstreamPosition(Upstream u) {
    long now = System.nanoTime();
    if (!u.equals(askedOf) || now - askedAtNanos > CACHE_NANOS) {
      try {
        known = Optional.of(position.of(u));
      } catch (SQLException | RuntimeException e) {
        known = Optional.empty();
      }
      askedOf = u;
      askedAtNanos = System.nanoTime();
    }
    return known;
  }
}
