package io.pgferry.archive.format;

import java.time.Instant;
import java.util.Map;

/**
 * A complete base backup (its sentinel exists). {@code stopSegment} is the last WAL segment recovery must replay
 * to reach consistency (null when the sentinel does not say);
 * {@code tablespaces} maps tablespace oid to its location on the source (from the sentinel's spec);
 * {@code pgVersionNum} is WAL-G's PgVersion (e.g. 150004), 0 when the sentinel does not say (WAL-E's never does).
 */
public record BackupInfo(String name, ArchiveFormat format, Instant lastModified, String startSegment,
                         String stopSegment, long expandedSizeBytes,
                         Map<String, String> tablespaces, int pgVersionNum) {}
