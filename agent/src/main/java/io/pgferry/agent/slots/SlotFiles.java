package io.pgferry.agent.slots;

import io.pgferry.common.AtomicFiles;
import io.pgferry.common.Command;
import io.pgferry.common.Lsn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Puts a slot state file into a stopped cluster's pg_replslot/ the way PostgreSQL itself does: NAME.tmp/state
 * written and fsynced, the directory renamed to NAME, then the directories fsynced. PostgreSQL removes leftover
 * *.tmp directories at start, so a crash half-way leaves nothing behind. With it, the primary's serialized
 * snapshot at the slot's restart_lsn (pg_logical/snapshots/X-Y.snap): without that file, decoding from the copy
 * starts from scratch and skips every commit until it finds a consistent point, which can be after the commits
 * the subscriber still needs.
 */
final class SlotFiles {
  /** SLOT_MAGIC of slot.c: the first 4 bytes of a state file. */
  private static final int SLOT_MAGIC = 0x1051CA1;
  /**
   * Offset of restart_lsn in ReplicationSlotOnDisk (PG 9.4-17): magic, checksum, version, length (4 bytes each),
   * then ReplicationSlotPersistentData: name (64), database, persistency, xmin, catalog_xmin (4 each), restart_lsn.
   */
  private static final int RESTART_LSN_OFFSET = 16 + 64 + 4 + 4 + 4 + 4;

  private SlotFiles() {}

  /** A serialized snapshot of logical decoding (snapbuild.c), as the primary holds it for an LSN. */
  record Snapshot(Lsn at, byte[] bytes) {}

  /** restart_lsn as written in a slot's state file (in the byte order of the machine that wrote it). */
  static Lsn restartLsn(byte[] state) {
    ByteBuffer b = ByteBuffer.wrap(state).order(ByteOrder.nativeOrder());
    if (state.length < RESTART_LSN_OFFSET + 8 || b.getInt(0) != SLOT_MAGIC) {
      throw new IllegalArgumentException("not a replication slot state file (" + state.length + " bytes, magic "
          + (state.length >= 4 ? Integer.toHexString(b.getInt(0)) : "none") + ")");
    }
    return new Lsn(b.getLong(RESTART_LSN_OFFSET));
  }

  /** The path, relative to the data directory, where PostgreSQL serializes the snapshot for {@code lsn}. */
  static String snapshotPath(Lsn lsn) {
    return "pg_logical/snapshots/" + lsn.toString().replace('/', '-') + ".snap";
  }

  static void install(Path dataDir, String slot, byte[] state, Snapshot snapshot, String osUser) throws IOException {
    if (Files.exists(dataDir.resolve("postmaster.pid"))) {
      throw new IllegalStateException("slot copy into " + dataDir + ": PostgreSQL must be stopped (postmaster.pid exists)");
    }
    if (snapshot != null) {
      installSnapshot(dataDir, snapshot, osUser);
    }
    Path replslot = dataDir.resolve("pg_replslot");
    Path tmp = replslot.resolve(slot + ".tmp");
    Path dir = replslot.resolve(slot);
    deleteTree(tmp);
    Files.createDirectory(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path file = tmp.resolve("state");
    Files.createFile(file, PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(state);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    if (osUser != null && Command.runningAsRoot()) {
      Command.of("chown", "-R", osUser + ":" + osUser, tmp.toString()).runChecked();
    }
    AtomicFiles.fsyncDirectory(tmp);
    deleteTree(dir);
    Files.move(tmp, dir);
    AtomicFiles.fsyncDirectory(dir);
    AtomicFiles.fsyncDirectory(replslot);
  }

  /**
   * Written first, so a state file is never there without it. The temporary name parses as X-Y.snap for
   * PostgreSQL's checkpoint, which removes it once it is older than every slot's restart_lsn.
   */
  private static void installSnapshot(Path dataDir, Snapshot snapshot, String osUser) throws IOException {
    Path target = dataDir.resolve(snapshotPath(snapshot.at()));
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(target.getFileName() + ".pgferry.tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(snapshot.bytes());
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    if (osUser != null && Command.runningAsRoot()) {
      Command.of("chown", osUser + ":" + osUser, tmp.toString()).runChecked();
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    AtomicFiles.fsyncDirectory(dir);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
