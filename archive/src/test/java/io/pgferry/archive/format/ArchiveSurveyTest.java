package io.pgferry.archive.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.archive.storage.MemoryStore;
import io.pgferry.archive.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArchiveSurveyTest {
  private static final long SEG = WalNames.DEFAULT_SEGMENT_SIZE;
  private final MemoryStore store = new MemoryStore();

  @Test
  void noSentinelMeansNoBackup() throws Exception {
    put(store, "wal_005/000000010000000000000002.lzo", "x");
    put(store, "basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo", "x");
    assertTrue(ArchiveSurvey.of(store, SEG).isEmpty());
  }

  @Test
  void findsTheNewestBackupAndTheHeadWithoutGaps() throws Exception {
    backup("000000010000000000000002");
    segments(1, 2, 3, 4, 5);
    ArchiveSurvey s = ArchiveSurvey.of(store, SEG).orElseThrow();
    assertEquals("base_000000010000000000000002_00000040", s.latest().name());
    assertEquals("000000010000000000000005", s.head());
    assertEquals(List.of(), s.missing());
    assertEquals(List.of(), s.problems());
  }

  @Test
  void aMissingSegmentIsAGap() throws Exception {
    backup("000000010000000000000002");
    segments(1, 2, 3, 5, 6);
    ArchiveSurvey s = ArchiveSurvey.of(store, SEG).orElseThrow();
    assertEquals(List.of("000000010000000000000004"), s.missing());
    assertEquals("000000010000000000000006", s.head());
  }

  @Test
  void followsANewTimelineThroughItsHistoryFile() throws Exception {
    backup("000000010000000000000002");
    segments(1, 2, 3, 4);
    segments(2, 4, 5, 6); // timeline 2 began inside segment 4 (switch at 0/4000100)
    ArchiveSurvey none = ArchiveSurvey.of(store, SEG).orElseThrow();
    assertTrue(none.problems().get(0).contains("00000002.history is missing"), none.problems().toString());

    put(store, "wal_005/00000002.history", "1\t0/4000100\tno recovery target specified\n");
    ArchiveSurvey s = ArchiveSurvey.of(store, SEG).orElseThrow();
    assertEquals(List.of(), s.problems());
    assertEquals(List.of(), s.missing());
    assertEquals("000000020000000000000006", s.head());

    store.delete("wal_005/000000020000000000000005.lzo");
    assertEquals(List.of("000000020000000000000005"), ArchiveSurvey.of(store, SEG).orElseThrow().missing());
  }

  @Test
  void aBackupWhoseStopSegmentIsNotArchivedCannotBecomeConsistent() throws Exception {
    put(store, ArchiveLayout.sentinelKey("base_000000010000000000000002_00000040"),
        "{\"wal_segment_backup_stop\":\"000000010000000000000004\",\"expanded_size_bytes\":1}");
    segments(1, 2, 3);
    ArchiveSurvey s = ArchiveSurvey.of(store, SEG).orElseThrow();
    assertTrue(s.problems().get(0).contains("needs WAL up to 000000010000000000000004"), s.problems().toString());
  }

  private void backup(String start) throws IOException {
    put(store, ArchiveLayout.sentinelKey(ArchiveLayout.waleBackupName(start, "00000040")),
        "{\"wal_segment_backup_stop\":\"" + start + "\",\"expanded_size_bytes\":1000}");
  }

  private void segments(int timeline, long... numbers) throws IOException {
    for (long n : numbers) {
      put(store, ArchiveLayout.waleWalKey(WalNames.name(timeline, n, SEG)), "segment");
    }
  }

  static void put(ObjectStore s, String key, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    s.put(key, new ByteArrayInputStream(b), b.length);
  }
}
