package io.pgferry.agent.archive.backup;

import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.BackupInfo;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Makes sure a restored base backup starts recovery at its own start checkpoint. A non-exclusive backup keeps its
 * backup_label outside the data directory, and archives from the field have been seen without it in the tars;
 * without it PostgreSQL would recover from the checkpoint in the copied pg_control, which may be later than the
 * backup's start, and silently corrupt the copy. The label is rebuilt from the backup history file that
 * pg_backup_stop archives ({@code wal_005/<start segment>.<offset>.backup}: the label's lines plus STOP lines); with
 * no history file the backup is refused. A missing tablespace_map is rebuilt from the sentinel's spec.
 */
final class BackupLabel {
  private BackupLabel() {}

  /** What was done, for the log: "present", or where the label came from. */
  static String ensure(ObjectStore store, BackupInfo backup, Path dataDir) throws IOException {
    String done = "present";
    if (!Files.exists(dataDir.resolve("backup_label"))) {
      StoredObject history = historyFile(store, backup);
      String label = labelFromHistory(read(store, history.key()), backup.startSegment(), history.key());
      write(dataDir.resolve("backup_label"), label);
      done = "rebuilt from " + history.key();
    }
    if (!backup.tablespaces().isEmpty() && !Files.exists(dataDir.resolve("tablespace_map"))) {
      write(dataDir.resolve("tablespace_map"), backup.tablespaces().entrySet().stream()
          .map(e -> e.getKey() + " " + e.getValue() + "\n").collect(Collectors.joining()));
      done += "; tablespace_map rebuilt from the sentinel";
    }
    return done;
  }

  private static StoredObject historyFile(ObjectStore store, BackupInfo backup) throws IOException {
    String prefix = ArchiveLayout.WAL + backup.startSegment() + ".";
    List<StoredObject> found = store.list(prefix).stream().filter(o -> o.key().contains(".backup")).toList();
    if (found.size() == 1) {
      return found.get(0);
    }
    String why = found.isEmpty() ? "the archive holds no backup history file " + prefix + "<offset>.backup"
        : "the archive holds " + found.size() + " backup history files for its start segment ("
            + found.stream().map(StoredObject::key).toList() + ") and pgferry cannot tell which is this backup's";
    throw new IOException("backup " + backup.name() + " in " + store.describe() + " carries no backup_label and "
        + why + ". Recovery without the label would start from the checkpoint in the copied pg_control, which may"
        + " be later than the backup's start, and silently corrupt the copy: refusing it. Restore from another base"
        + " backup (name it instead of LATEST), or put the backup's backup_label into the data directory by hand");
  }

  /** The history file is the label's lines plus STOP WAL LOCATION, STOP TIME and STOP TIMELINE. */
  static String labelFromHistory(String history, String startSegment, String key) throws IOException {
    List<String> lines = history.lines().filter(l -> !l.startsWith("STOP ")).toList();
    boolean startsRight = !lines.isEmpty() && lines.get(0).startsWith("START WAL LOCATION:")
        && lines.get(0).contains("(file " + startSegment + ")");
    boolean hasCheckpoint = lines.size() > 1 && lines.get(1).startsWith("CHECKPOINT LOCATION:");
    if (!startsRight || !hasCheckpoint) {
      throw new IOException(key + " is not the history file of a backup starting in " + startSegment + " (expected"
          + " 'START WAL LOCATION: … (file " + startSegment + ")' then 'CHECKPOINT LOCATION: …'); refusing to guess"
          + " the backup's start checkpoint");
    }
    return String.join("\n", lines) + "\n";
  }

  private static String read(ObjectStore store, String key) throws IOException {
    try (InputStream raw = store.get(key);
         InputStream plain = Codecs.forKey(key).orElseThrow(() -> new IOException(key + ": no codec")).decompress(raw)) {
      return new String(plain.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void write(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".pgferry.tmp");
    Files.writeString(tmp, text);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }
}
