package io.pgferry.agent.slots;

import io.pgferry.common.AtomicFiles;
import io.pgferry.common.Command;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Puts a slot state file into a stopped cluster's pg_replslot/ the way PostgreSQL itself does: NAME.tmp/state
 * written and fsynced, the directory renamed to NAME, then the directories fsynced. PostgreSQL removes leftover
 * *.tmp directories at start, so a crash half-way leaves nothing behind.
 */
final class SlotFiles {
  private SlotFiles() {}

  static void install(Path dataDir, String slot, byte[] state, String osUser) throws IOException {
    if (Files.exists(dataDir.resolve("postmaster.pid"))) {
      throw new IllegalStateException("slot copy into " + dataDir + ": PostgreSQL must be stopped (postmaster.pid exists)");
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
