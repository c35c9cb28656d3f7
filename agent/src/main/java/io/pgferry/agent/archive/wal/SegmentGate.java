package io.pgferry.agent.archive.wal;

import java.util.Optional;

/** Whether a WAL segment may be handed to PostgreSQL from the archive now. */
@FunctionalInterface
public interface SegmentGate {
  SegmentGate OPEN = (segment, segmentSize) -> Optional.empty();

  /** Empty: serve it. Present: why it is held back (answered "not in the archive", so PostgreSQL streams it). */
  Optional<String> holdBack(String segment, long segmentSize);
}
