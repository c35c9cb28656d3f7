package io.pgferry.archive.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * An archive held in memory, for tests: the simplest backend that meets the {@link ObjectStore} contract (checked
 * by the same conformance suite as the directory and S3 stores). A put stores a whole copy or nothing.
 */
public final class MemoryStore implements ObjectStore {
  private record Entry(byte[] bytes, Instant modified) {}

  private final ConcurrentSkipListMap<String, Entry> objects = new ConcurrentSkipListMap<>();

  @Override
  public InputStream get(String key) throws IOException {
    Entry e = objects.get(ObjectKeys.check(key));
    if (e == null) {
      throw new NoSuchObjectException(key);
    }
    return new ByteArrayInputStream(e.bytes());
  }

  @Override
  public void put(String key, InputStream content, long length) throws IOException {
    ObjectKeys.check(key);
    byte[] bytes = content.readAllBytes();
    if (length >= 0 && bytes.length != length) {
      throw new IOException("put " + key + ": got " + bytes.length + " bytes, expected " + length);
    }
    objects.put(key, new Entry(bytes, Instant.now()));
  }

  @Override
  public boolean exists(String key) {
    return objects.containsKey(ObjectKeys.check(key));
  }

  @Override
  public List<StoredObject> list(String prefix) {
    return objects.tailMap(prefix, true).entrySet().stream()
        .takeWhile(e -> e.getKey().startsWith(prefix))
        .map(e -> new StoredObject(e.getKey(), e.getValue().bytes().length, e.getValue().modified()))
        .toList();
  }

  @Override
  public void delete(String key) {
    objects.remove(ObjectKeys.check(key));
  }

  @Override
  public String describe() {
    return "memory://" + Integer.toHexString(System.identityHashCode(this));
  }
}
