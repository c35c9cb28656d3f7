package io.pgferry.agent.archive.wal;

import io.pgferry.archive.codec.Codec;
import io.pgferry.archive.codec.CorruptDataException;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.NoSuchObjectException;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import io.pgferry.archive.storage.StorageAccessException;
import io.pgferry.common.Backoff;
import io.pgferry.common.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Downloads one archived WAL file (WAL-E {@code .lzo} first, then any WAL-G extension or none) to a destination
 * through {@code DEST.tmp} + rename, so PostgreSQL never sees a partial file. Storage errors are retried with
 * backoff; data that stays corrupt after re-downloads is {@link Outcome#CORRUPT}.
 */
public final class WalFetch {
  private static final Logger LOG = Logger.getLogger(WalFetch.class.getName());
  private static final int STORAGE_ATTEMPTS = 6;
  private static final int CORRUPT_ATTEMPTS = 3;
  private final ObjectStore store;
  private final Backoff backoff;

  public WalFetch(ObjectStore store) {
    this(store, new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), 2.0));
  }

  public WalFetch(ObjectStore store, Backoff backoff) {
    this.store = store;
    this.backoff = backoff;
  }

  /** Exit codes follow PostgreSQL's restore_command rules: 1..125 = not in the archive, above 125 = abort recovery. */
  public enum Outcome {
    FETCHED(0), NOT_FOUND(1), CORRUPT(128);

    public final int exitCode;

    Outcome(int exitCode) {
      this.exitCode = exitCode;
    }
  }

  public Outcome fetch(String name, Path dest) throws IOException {
    if (!WalNames.isArchivable(name)) {
      throw new UsageException("wal-fetch: " + name + " is not a WAL file name; pass %f from restore_command");
    }
    CorruptDataException lastCorrupt = null;
    for (int attempt = 0; attempt < CORRUPT_ATTEMPTS; attempt++) {
      Optional<String> key = retrying(attemptNo -> locate(name));
      if (key.isEmpty()) {
        return Outcome.NOT_FOUND;
      }
      try {
        retrying(attemptNo -> {
          download(key.get(), name, dest);
          return null;
        });
        return Outcome.FETCHED;
      } catch (CorruptDataException e) {
        lastCorrupt = e;
        LOG.warning(key.get() + " is corrupt (" + e.getMessage() + "), download " + (attempt + 1) + " of " + CORRUPT_ATTEMPTS);
      } catch (NoSuchObjectException e) {
        return Outcome.NOT_FOUND; // deleted between list and get
      }
    }
    LOG.severe(name + " stays corrupt in " + store.describe() + ": " + lastCorrupt.getMessage()
        + "; refusing to hand it to PostgreSQL (recovery must stop here, not skip it)");
    return Outcome.CORRUPT;
  }

  /** The key holding {@code name}: WAL-E's {@code .lzo}, else whatever WAL-G extension (or none) exists. */
  Optional<String> locate(String name) throws IOException {
    String wale = ArchiveLayout.waleWalKey(name);
    if (store.exists(wale)) {
      return Optional.of(wale);
    }
    String base = ArchiveLayout.WAL + name;
    for (StoredObject o : store.list(base)) {
      String rest = o.key().substring(base.length());
      if (rest.isEmpty() || (rest.matches("\\.[a-z0-9]+") && Codecs.forExtension(rest).isPresent())) {
        return Optional.of(o.key());
      }
    }
    return Optional.empty();
  }

  private void download(String key, String name, Path dest) throws IOException {
    String ext = key.substring(ArchiveLayout.WAL.length() + name.length());
    Codec codec = Codecs.forExtension(ext).orElseThrow(() -> new IOException("no codec for " + key));
    Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp");
    try {
      try (InputStream in = codec.decompress(store.get(key));
           FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        in.transferTo(out);
        // no fsync: a restored segment is scratch for PostgreSQL (after a crash it restores it again), and
        // syncing 16 MiB per segment costs replay time (WAL-G does not sync it either)
      }
      Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private <T> T retrying(Backoff.Retriable<T> action) throws IOException {
    try {
      return backoff.retry(STORAGE_ATTEMPTS, action,
          e -> e instanceof IOException && !(e instanceof NoSuchObjectException) && !(e instanceof CorruptDataException)
              && !(e instanceof StorageAccessException));
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e.toString(), e);
    }
  }
}
