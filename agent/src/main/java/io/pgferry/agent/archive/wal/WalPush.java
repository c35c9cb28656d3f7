package io.pgferry.agent.archive.wal;

import io.pgferry.archive.codec.Codec;
import io.pgferry.archive.codec.CorruptDataException;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.common.UsageException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.logging.Logger;

/**
 * {@code wal-push PATH} as archive_command: uploads {@code wal_005/<name>.lzo}. Idempotent: an identical object
 * already archived is success; a different one is an error (PostgreSQL keeps the file and retries, and a person
 * must look: two clusters may be archiving into one prefix).
 */
public final class WalPush {
  private static final Logger LOG = Logger.getLogger(WalPush.class.getName());
  private final ObjectStore store;
  private final Codec codec;

  public WalPush(ObjectStore store, Codec codec) {
    this.store = store;
    this.codec = codec;
  }

  public enum Outcome { UPLOADED, ALREADY_ARCHIVED }

  public static final class ConflictException extends IOException {
    ConflictException(String message) {
      super(message);
    }
  }

  public Outcome push(Path file) throws IOException {
    String name = file.getFileName().toString();
    if (!WalNames.isArchivable(name)) {
      throw new UsageException("wal-push: " + name + " is not a WAL file name PostgreSQL archives; pass %p from archive_command");
    }
    if (!Files.isRegularFile(file)) {
      throw new UsageException("wal-push: " + file + " does not exist or is not a file");
    }
    byte[] content = Files.readAllBytes(file);
    String key = ArchiveLayout.waleWalKey(name);
    if (store.exists(key)) {
      byte[] archived;
      try (InputStream in = codec.decompress(store.get(key))) {
        archived = in.readAllBytes();
      } catch (CorruptDataException e) {
        throw new ConflictException(key + " already exists in " + store.describe() + " and is corrupt (" + e.getMessage()
            + "); not overwriting it: check who writes this archive, then delete the object by hand");
      }
      if (Arrays.equals(archived, content)) {
        LOG.info(name + " is already archived with identical content");
        return Outcome.ALREADY_ARCHIVED;
      }
      throw new ConflictException(key + " already exists in " + store.describe() + " with different content; "
          + "is another cluster archiving into the same prefix?");
    }
    ByteArrayOutputStream compressed = new ByteArrayOutputStream(content.length / 2 + 1024);
    try (OutputStream out = codec.compress(compressed)) {
      out.write(content);
    }
    store.put(key, new ByteArrayInputStream(compressed.toByteArray()), compressed.size());
    LOG.fine("archived " + name + " (" + content.length + " -> " + compressed.size() + " bytes)");
    return Outcome.UPLOADED;
  }
}
