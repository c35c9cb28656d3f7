package io.pgferry.archive.storage;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * Where an archive lives: a bucket prefix or a directory. Keys are '/'-separated paths relative to the archive
 * root (e.g. {@code wal_005/000000010000000000000003.lzo}). Blocking: call from worker threads.
 *
 * <p>Contract, shared by every backend and checked by one conformance test: a missing key is
 * {@link NoSuchObjectException} (never a generic IOException); {@link #put} is atomic (a reader sees the whole
 * object or none); transient failures are retried inside the backend with backoff, and what still fails is an
 * IOException whose message says what to check.
 */
public interface ObjectStore extends AutoCloseable {

  /** Opens the object for reading. @throws NoSuchObjectException when it does not exist. */
  InputStream get(String key) throws IOException;

  /** Writes the object whole, replacing any previous one. {@code length} is -1 when unknown. */
  void put(String key, InputStream content, long length) throws IOException;

  boolean exists(String key) throws IOException;

  /** Every object whose key starts with {@code prefix}, in key order. */
  List<StoredObject> list(String prefix) throws IOException;

  void delete(String key) throws IOException;

  /** Human-readable location, without credentials (for logs and errors). */
  String describe();

  @Override
  default void close() {}

  record StoredObject(String key, long size, Instant lastModified) {}
}
