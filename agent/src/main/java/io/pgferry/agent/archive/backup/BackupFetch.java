package io.pgferry.agent.archive.backup;

import io.pgferry.archive.codec.Codec;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.BackupCatalog;
import io.pgferry.archive.format.BackupInfo;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import io.pgferry.common.Command;
import io.pgferry.common.UsageException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.logging.Logger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * {@code backup-fetch}: restores a WAL-E or WAL-G base backup into an empty directory: partitions downloaded in
 * parallel, decompressed by extension, untarred (modes, symlinks, tablespaces at the locations the sentinel names
 * or as remapped), the backup_label checked ({@link BackupLabel}: rebuilt from the backup history file when the tars
 * lack it, else refused), then pg_wal/ created empty and everything owned by the PostgreSQL OS user when running as
 * root.
 */
public final class BackupFetch {
  private static final Logger LOG = Logger.getLogger(BackupFetch.class.getName());
  private final ObjectStore store;
  private final int concurrency;
  private final Progress progress;
  private final String osUser;

  public BackupFetch(ObjectStore store, int concurrency, Progress progress, String osUser) {
    this.store = store;
    this.concurrency = concurrency;
    this.progress = progress;
    this.osUser = osUser;
  }

  /** {@code tablespaceRemap}: oid -> new location, for tablespaces that must not land where they were on the source. */
  public BackupInfo fetch(Path dataDir, String nameOrLatest, Map<String, Path> tablespaceRemap) throws IOException {
    refuseNonEmpty(dataDir);
    BackupInfo backup = new BackupCatalog(store).resolve(nameOrLatest);
    List<StoredObject> parts = new BackupCatalog(store).partitions(backup);
    if (parts.isEmpty()) {
      throw new IOException("backup " + backup.name() + " in " + store.describe() + " has a sentinel but no partitions");
    }
    Files.createDirectories(dataDir);
    Files.setPosixFilePermissions(dataDir, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
    List<Path> owned = new ArrayList<>(List.of(dataDir));
    Map<String, Path> tablespaces = new LinkedHashMap<>();
    backup.tablespaces().forEach((oid, loc) -> tablespaces.put(oid, tablespaceRemap.getOrDefault(oid, Path.of(loc))));
    tablespaceRemap.forEach(tablespaces::putIfAbsent);
    for (Map.Entry<String, Path> ts : tablespaces.entrySet()) {
      refuseNonEmpty(ts.getValue());
      Files.createDirectories(ts.getValue());
      Files.createDirectories(dataDir.resolve("pg_tblspc"));
      Files.createSymbolicLink(dataDir.resolve("pg_tblspc").resolve(ts.getKey()), ts.getValue());
      owned.add(ts.getValue());
    }

    long total = parts.stream().mapToLong(StoredObject::size).sum();
    AtomicLong done = new AtomicLong();
    String label = "backup-fetch " + backup.name();
    progress.update(0, total, label);
    // WAL-G restores pg_control and backup_label after every other part
    List<StoredObject> first = new ArrayList<>();
    List<StoredObject> last = new ArrayList<>();
    for (StoredObject p : parts) {
      String file = p.key().substring(p.key().lastIndexOf('/') + 1);
      (file.startsWith("pg_control.tar") || file.startsWith("backup_label.tar") ? last : first).add(p);
    }
    extractAll(first, dataDir, done, total, label);
    extractAll(last, dataDir, done, total, label);
    String labelled = BackupLabel.ensure(store, backup, dataDir);

    Files.createDirectories(dataDir.resolve("pg_wal/archive_status"));
    if (!tablespaceRemap.isEmpty()) {
      rewriteTablespaceMap(dataDir, tablespaces);
    }
    if (Command.runningAsRoot() && osUser != null && !osUser.equals("root")) {
      for (Path p : owned) {
        Command.of("chown", "-R", osUser + ":" + osUser, p.toString()).runChecked();
      }
    }
    Command.of("sync").run();
    progress.update(total, total, label);
    LOG.info("restored " + backup.name() + " (" + backup.format() + ", " + parts.size() + " partitions) into " + dataDir
        + "; backup_label " + labelled);
    return backup;
  }

  private void extractAll(List<StoredObject> parts, Path dataDir, AtomicLong done, long total, String label) throws IOException {
    if (parts.isEmpty()) {
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(concurrency, parts.size())));
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (StoredObject part : parts) {
        futures.add(pool.submit(() -> {
          extract(part, dataDir, done, total, label);
          return null;
        }));
      }
      PartitionTasks.awaitAll(futures);
    } finally {
      pool.shutdownNow();
    }
  }

  private void extract(StoredObject part, Path dataDir, AtomicLong done, long total, String label) throws IOException {
    Codec codec = Codecs.forKey(part.key())
        .orElseThrow(() -> new IOException(part.key() + ": no codec for this extension"));
    try (InputStream raw = new Counting(store.get(part.key()), n -> progress.update(done.addAndGet(n), total, label));
         InputStream plain = codec.decompress(raw);
         TarArchiveInputStream tar = new TarArchiveInputStream(plain)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        Path target = safeTarget(dataDir, e.getName(), part.key());
        if (target == null) {
          continue;
        }
        if (e.isDirectory()) {
          if (!Files.isDirectory(target)) { // a tablespace link already points where this goes
            Files.createDirectories(target);
          }
          chmod(target, e.getMode());
        } else if (e.isSymbolicLink()) {
          Files.createDirectories(target.getParent());
          Files.deleteIfExists(target);
          Files.createSymbolicLink(target, Path.of(e.getLinkName()));
        } else if (e.isLink()) {
          Path source = safeTarget(dataDir, e.getLinkName(), part.key());
          Files.createDirectories(target.getParent());
          Files.deleteIfExists(target);
          Files.createLink(target, source);
        } else if (e.isFile()) {
          Files.createDirectories(target.getParent());
          try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            tar.transferTo(out);
          }
          chmod(target, e.getMode());
          Files.setLastModifiedTime(target, FileTime.from(e.getModTime().toInstant()));
        }
      }
    }
  }

  /** Member names are relative to the data dir (WAL-G writes a leading '/'); names that climb out are refused. */
  static Path safeTarget(Path dataDir, String name, String part) throws IOException {
    String n = name;
    while (n.startsWith("/") || n.startsWith("./")) {
      n = n.startsWith("/") ? n.substring(1) : n.substring(2);
    }
    if (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    if (n.isEmpty() || n.equals(".")) {
      return null;
    }
    for (String seg : n.split("/")) {
      if (seg.equals("..")) {
        throw new IOException(part + ": tar member " + name + " climbs out of the data directory; refusing this backup");
      }
    }
    return dataDir.resolve(n);
  }

  private static void chmod(Path p, int mode) throws IOException {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values();
    for (int i = 0; i < 9; i++) {
      if ((mode & (1 << (8 - i))) != 0) {
        perms.add(all[i]);
      }
    }
    perms.add(PosixFilePermission.OWNER_READ);
    perms.add(PosixFilePermission.OWNER_WRITE);
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      perms.add(PosixFilePermission.OWNER_EXECUTE);
    }
    Files.setPosixFilePermissions(p, perms);
  }

  private static void rewriteTablespaceMap(Path dataDir, Map<String, Path> tablespaces) throws IOException {
    Path map = dataDir.resolve("tablespace_map");
    if (!Files.exists(map)) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    tablespaces.forEach((oid, loc) -> sb.append(oid).append(' ').append(loc).append('\n'));
    Path tmp = dataDir.resolve("tablespace_map.pgferry.tmp");
    Files.writeString(tmp, sb.toString());
    Files.move(tmp, map, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static void refuseNonEmpty(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageException("backup-fetch: " + dir + " is not a directory; pass an empty or missing directory");
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      if (s.iterator().hasNext()) {
        throw new UsageException("backup-fetch: " + dir + " is not empty; restore only into an empty or missing directory");
      }
    }
  }

  private static final class Counting extends FilterInputStream {
    private final LongConsumer onRead;

    Counting(InputStream in, LongConsumer onRead) {
      super(in);
      this.onRead = onRead;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        onRead.accept(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        onRead.accept(n);
      }
      return n;
    }
  }
}
