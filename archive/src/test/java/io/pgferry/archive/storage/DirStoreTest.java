package io.pgferry.archive.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirStoreTest extends ObjectStoreConformance {
  @TempDir
  Path dir;

  private DirStore store;

  @Override
  ObjectStore store() throws IOException {
    if (store == null) {
      Files.createDirectories(dir.resolve("archive"));
      store = new DirStore(dir.resolve("archive"));
    }
    return store;
  }

  @Test
  void missingRootIsAnErrorNotAMissingObject() throws Exception {
    DirStore s = new DirStore(dir.resolve("typo"));
    StorageAccessException e = assertThrows(StorageAccessException.class, () -> s.get("wal_005/x.lzo"));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertThrows(StorageAccessException.class, () -> s.exists("wal_005/x.lzo"));
    assertThrows(StorageAccessException.class, () -> s.list(""));
    s.put("wal_005/x.lzo", new ByteArrayInputStream(bytes("x")), 1); // a write creates the archive
    assertTrue(s.exists("wal_005/x.lzo"));
  }

  @Test
  void failedPutLeavesNoTempFileAndNoObject() throws Exception {
    ObjectStore s = store();
    InputStream failing = new InputStream() {
      int n;

      @Override
      public int read() throws IOException {
        if (n++ > 1000) {
          throw new IOException("source broke");
        }
        return 'x';
      }
    };
    assertThrows(IOException.class, () -> s.put("wal_005/seg.lzo", failing, -1));
    try (var files = Files.walk(dir)) {
      assertEquals(List.of(), files.filter(Files::isRegularFile).toList());
    }
  }

  @Test
  void leftoverTempFilesAreNotListed() throws Exception {
    ObjectStore s = store();
    put(s, "wal_005/a", bytes("a"));
    Files.writeString(dir.resolve("archive/wal_005/" + DirStore.TEMP_PREFIX + "b-crashed"), "partial");
    assertEquals(List.of("wal_005/a"), s.list("").stream().map(ObjectStore.StoredObject::key).toList());
  }

  @Test
  void keysCannotEscapeTheRoot() throws IOException {
    ObjectStore s = store();
    for (String bad : List.of("../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "")) {
      assertThrows(IllegalArgumentException.class,
          () -> s.put(bad, new ByteArrayInputStream(new byte[0]), 0), bad);
    }
    assertTrue(s.describe().startsWith("file://"));
  }
}
