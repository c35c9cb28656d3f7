package io.pgferry.agent.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.agent.archive.wal.ArchiveHead;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archive lag: segments between the last restored one and the newest archived one, and the archive time between them. */
class ArchiveHeadTest {
  @TempDir
  Path dir;

  @Test
  void lagAcrossALogBoundaryIgnoresPartialBackupAndHistoryFiles() throws Exception {
    Instant t = Instant.parse("2026-11-24T10:00:00Z");
    put("0000000100000000000000FE.lzo", t);
    put("0000000100000000000000FF.lzo", t.plusSeconds(10));
    put("000000010000000100000000.lzo", t.plusSeconds(20));
    put("000000010000000100000001.lzo", t.plusSeconds(47));
    put("000000010000000100000002.partial.lzo", t.plusSeconds(50));
    put("000000010000000100000001.00000028.backup.lzo", t.plusSeconds(60));
    put("00000002.history.lzo", t.plusSeconds(70));
    try (DirStore store = new DirStore(dir)) {
      ArchiveHead.Lag lag = ArchiveHead.measure(store, "0000000100000000000000FF", WalNames.DEFAULT_SEGMENT_SIZE).orElseThrow();
      assertEquals("000000010000000100000001", lag.head());
      assertEquals(2, lag.segments());
      assertEquals(37, lag.seconds());

      ArchiveHead.Lag caughtUp = ArchiveHead.measure(store, "000000010000000100000001", WalNames.DEFAULT_SEGMENT_SIZE).orElseThrow();
      assertEquals(0, caughtUp.segments());
      assertEquals(0, caughtUp.seconds());
    }
  }

  private void put(String file, Instant mtime) throws Exception {
    Path p = dir.resolve(ArchiveLayout.WAL).resolve(file);
    Files.createDirectories(p.getParent());
    Files.write(p, new byte[] {1});
    Files.setLastModifiedTime(p, FileTime.from(mtime));
  }
}
