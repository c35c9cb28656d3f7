package io.pgferry.agent.archive.wal;

import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * How far an archive replica is behind the archive: the newest segment archived on the replica's timeline (looked
 * up by listing only the key range of the restored segment's log and the next one, not the whole archive).
 */
public final class ArchiveHead {
  private ArchiveHead() {}

  public record Lag(String restored, String head, long segments, long seconds) {}

  public static Optional<Lag> measure(ObjectStore store, String restored, long segmentSize) throws IOException {
    if (restored == null || !WalNames.isSegment(restored)) {
      return Optional.empty();
    }
    String head = restored;
    Instant headTime = null;
    Instant restoredTime = null;
    String logPrefix = restored.substring(0, 16);
    String nextLog = String.format("%s%08X", restored.substring(0, 8), Long.parseLong(restored.substring(8, 16), 16) + 1);
    for (String prefix : new String[] {logPrefix, nextLog}) {
      for (StoredObject o : store.list(ArchiveLayout.WAL + prefix)) {
        String name = o.key().substring(ArchiveLayout.WAL.length(), Math.min(o.key().length(), ArchiveLayout.WAL.length() + 24));
        if (!WalNames.isSegment(name) || o.key().contains(".partial") || o.key().contains(".backup")) {
          continue;
        }
        if (name.equals(restored)) {
          restoredTime = o.lastModified();
        }
        if (name.compareTo(head) >= 0) {
          head = name;
          headTime = o.lastModified();
        }
      }
    }
    long segments = WalNames.segmentNumber(head, segmentSize) - WalNames.segmentNumber(restored, segmentSize);
    long seconds = headTime != null && restoredTime != null ? Math.max(0, headTime.getEpochSecond() - restoredTime.getEpochSecond()) : -1;
    return Optional.of(new Lag(restored, head, segments, seconds));
  }
}
