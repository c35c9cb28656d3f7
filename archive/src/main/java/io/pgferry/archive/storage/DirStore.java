package io.pgferry.archive.storage;

import io.pgferry.common.AtomicFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * An archive in a local directory ({@code file:///path}): one file per key. A put writes a temp file beside the
 * target, fsyncs it, renames it into place and fsyncs the directory, so a reader sees the whole object or none.
 */
public final class DirStore implements ObjectStore {
  /** Temp files of puts in progress (or left by a crash); never listed, never read as objects. */
  static final String TEMP_PREFIX = ".pgferry-tmp-";

  private final Path root;

  public DirStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  private Path file(String key) {
    return root.resolve(ObjectKeys.check(key));
  }

  /**
   * Reads from a root that does not exist must not pass for "object not in the archive": a mistyped path would
   * end a recovery early. Writes create the root.
   */
  private void requireRoot() throws StorageAccessException {
    if (!Files.isDirectory(root)) {
      throw new StorageAccessException("archive directory " + root + " does not exist or is not a directory: "
          + "check the archive URL (file:///path) and that this host mounted it");
    }
  }

  @Override
  public InputStream get(String key) throws IOException {
    Path file = file(key);
    requireRoot();
    try {
      if (Files.isDirectory(file)) {
        throw new NoSuchObjectException(key);
      }
      return Files.newInputStream(file);
    } catch (NoSuchFileException | FileNotFoundException e) {
      throw new NoSuchObjectException(key);
    }
  }

  @Override
  public void put(String key, InputStream content, long length) throws IOException {
    Path target = file(key);
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
    try {
      long written;
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream out = Channels.newOutputStream(ch)) {
        written = content.transferTo(out);
        out.flush();
        ch.force(true);
      }
      if (length >= 0 && written != length) {
        throw new IOException("put " + key + " into " + describe() + ": expected " + length + " bytes, got "
            + written + " (the source changed or was cut short)");
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      AtomicFiles.fsyncDirectory(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public boolean exists(String key) throws IOException {
    Path file = file(key);
    requireRoot();
    return Files.isRegularFile(file);
  }

  @Override
  public List<StoredObject> list(String prefix) throws IOException {
    // walk only the deepest directory the prefix names completely
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : root.resolve(ObjectKeys.check(prefix.substring(0, slash)));
    requireRoot();
    if (!Files.isDirectory(start)) {
      return List.of();
    }
    List<StoredObject> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(start)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.getFileName().toString().startsWith(TEMP_PREFIX)) {
          continue;
        }
        String key = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
        if (!key.startsWith(prefix)) {
          continue;
        }
        BasicFileAttributes attrs;
        try {
          attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException vanished) {
          continue; // deleted while we walked
        }
        if (attrs.isRegularFile()) {
          found.add(new StoredObject(key, attrs.size(), attrs.lastModifiedTime().toInstant()));
        }
      }
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof NoSuchFileException) {
        return list(prefix); // a directory vanished mid-walk: try again on the new state
      }
      throw e.getCause();
    }
    found.sort(Comparator.comparing(StoredObject::key));
    return found;
  }

  @Override
  public void delete(String key) throws IOException {
    Files.deleteIfExists(file(key));
  }

  @Override
  public String describe() {
    return "file://" + root;
  }

  @Override
  public String toString() {
    return describe();
  }
}
