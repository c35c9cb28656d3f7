package io.pgferry.archive.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.archive.storage.ObjectStore.StoredObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The {@link ObjectStore} contract, run against every backend. Subclasses provide a fresh, empty store per test
 * through {@link #store()}.
 */
abstract class ObjectStoreConformance {

  /** An empty store; the same instance for the whole test method. */
  abstract ObjectStore store() throws Exception;


  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void put(ObjectStore s, String key, byte[] data) throws IOException {
    s.put(key, new ByteArrayInputStream(data), data.length);
  }

  static byte[] get(ObjectStore s, String key) throws IOException {
    try (InputStream in = s.get(key)) {
      return in.readAllBytes();
    }
  }

  @Test
  void putThenGetReturnsTheSameBytes() throws Exception {
    ObjectStore s = store();
    put(s, "wal_005/000000010000000000000001.lzo", bytes("one"));
    assertArrayEquals(bytes("one"), get(s, "wal_005/000000010000000000000001.lzo"));
    assertTrue(s.exists("wal_005/000000010000000000000001.lzo"));
  }

  @Test
  void putReplacesAndAcceptsUnknownLengthAndEmpty() throws Exception {
    ObjectStore s = store();
    put(s, "a/b", bytes("first version"));
    s.put("a/b", new ByteArrayInputStream(bytes("second")), -1);
    assertArrayEquals(bytes("second"), get(s, "a/b"));
    put(s, "a/empty", new byte[0]);
    assertArrayEquals(new byte[0], get(s, "a/empty"));
    assertEquals(List.of(0L, 6L), s.list("a/").stream().map(StoredObject::size).sorted().toList());
  }

  @Test
  void putWithWrongLengthFailsAndLeavesNothing() throws Exception {
    ObjectStore s = store();
    assertThrows(IOException.class, () -> s.put("short", new ByteArrayInputStream(bytes("abc")), 10));
    assertFalse(s.exists("short"));
    assertEquals(List.of(), s.list(""));
  }

  @Test
  void missingKeyIsNoSuchObject() throws Exception {
    ObjectStore s = store();
    assertThrows(NoSuchObjectException.class, () -> get(s, "wal_005/000000010000000000000009.lzo"));
    assertFalse(s.exists("wal_005/000000010000000000000009.lzo"));
    put(s, "wal_005/x", bytes("x"));
    assertThrows(NoSuchObjectException.class, () -> get(s, "wal_005")); // a "directory" is not an object
    assertFalse(s.exists("wal_005"));
  }

  @Test
  void listIsInKeyOrderAndHonoursThePrefix() throws Exception {
    ObjectStore s = store();
    Instant before = Instant.now().minusSeconds(5);
    List<String> keys = List.of("wal_005/000000010000000000000003.lzo", "basebackups_005/base_1/x",
        "wal_005/000000010000000000000001.lzo", "wal_005/00000002.history.lzo",
        "basebackups_005/base_1_backup_stop_sentinel.json", "wal_005/000000010000000000000002.lzo",
        "basebackups_005/base_1/tar_partitions/part_00000000.tar.lzo");
    for (String k : keys) {
      put(s, k, bytes(k));
    }
    List<StoredObject> wal = s.list("wal_005/");
    assertEquals(List.of("wal_005/000000010000000000000001.lzo", "wal_005/000000010000000000000002.lzo",
        "wal_005/000000010000000000000003.lzo", "wal_005/00000002.history.lzo"),
        wal.stream().map(StoredObject::key).toList());
    for (StoredObject o : wal) {
      assertEquals(o.key().length(), o.size());
      assertTrue(o.lastModified().isAfter(before), o.toString());
    }
    assertEquals(keys.stream().sorted().toList(), s.list("").stream().map(StoredObject::key).toList());
    // a prefix that ends inside a name, as WAL-E's sentinel listing and segment scans use
    assertEquals(List.of("basebackups_005/base_1/tar_partitions/part_00000000.tar.lzo", "basebackups_005/base_1/x",
        "basebackups_005/base_1_backup_stop_sentinel.json"),
        s.list("basebackups_005/base_1").stream().map(StoredObject::key).toList());
    assertEquals(List.of("wal_005/000000010000000000000001.lzo"),
        s.list("wal_005/000000010000000000000001").stream().map(StoredObject::key).toList());
    assertEquals(List.of(), s.list("nothing_here/"));
  }

  @Test
  void deleteRemovesAndIsIdempotent() throws Exception {
    ObjectStore s = store();
    put(s, "d/one", bytes("1"));
    put(s, "d/two", bytes("2"));
    s.delete("d/one");
    assertFalse(s.exists("d/one"));
    assertThrows(NoSuchObjectException.class, () -> get(s, "d/one"));
    s.delete("d/one");
    s.delete("d/never-existed");
    assertEquals(List.of("d/two"), s.list("d/").stream().map(StoredObject::key).toList());
  }

  @Test
  void largeObjectRoundTrips() throws Exception {
    ObjectStore s = store();
    byte[] big = new byte[20 * 1024 * 1024 + 12345];
    new Random(11).nextBytes(big);
    s.put("big/part_00000000.tar.lzo", new ByteArrayInputStream(big), big.length);
    assertArrayEquals(sha256(big), sha256(get(s, "big/part_00000000.tar.lzo")));
    s.put("big/unknown-length", new ByteArrayInputStream(big), -1);
    assertArrayEquals(sha256(big), sha256(get(s, "big/unknown-length")));
    assertEquals(big.length, s.list("big/part").get(0).size());
  }

  @Test
  void concurrentPutsAllLand() throws Exception {
    ObjectStore s = store();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        int n = i;
        done.add(pool.submit(() -> {
          put(s, String.format("c/%03d", n), bytes("object " + n));
          put(s, "c/same-key", bytes("writer " + n)); // last writer wins, never a mix
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    List<StoredObject> listed = s.list("c/0");
    assertEquals(32, listed.size());
    for (int i = 0; i < 32; i++) {
      assertArrayEquals(bytes("object " + i), get(s, String.format("c/%03d", i)));
    }
    assertTrue(new String(get(s, "c/same-key"), StandardCharsets.UTF_8).matches("writer \\d+"));
  }

  @Test
  void describeNamesTheLocation() throws Exception {
    assertFalse(store().describe().isBlank());
  }

  static byte[] sha256(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }
}
