package io.pgferry.controller.store;

import io.pgferry.common.AtomicFiles;
import io.pgferry.common.UsageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The embedded store's one-writer rule: a controller holds an exclusive lock on {@code state_dir/controller.lock} for
 * as long as it runs. The journal's "never done twice" rests on one writer; without the lock a second controller
 * started on the same state dir (by hand, or by a service manager while the old process still ran) resumed the
 * journey and ran steps before its failure to bind the link port stopped it. The operating system drops the lock
 * when the process ends, kill -9 included, so a restarted controller never finds a stale one; the file keeps the
 * holder's pid for the message of a controller that is refused. With {@code store: etcd} the leader key plays this
 * part (docs/ha.md).
 */
public final class StateDirLock implements AutoCloseable {
  public static final String FILE = "controller.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private StateDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock, or refuses (exit 2) naming the controller that holds it. */
  public static StateDirLock take(Path stateDir) throws IOException {
    Optional<StateDirLock> lock = tryTake(stateDir);
    if (lock.isEmpty()) {
      throw new UsageException("another controller runs on state_dir " + stateDir + " (" + holder(stateDir) + "); one"
          + " controller writes a state dir: stop that one first, or start this one with --spare to take over when it ends");
    }
    return lock.get();
  }

  /** Takes the lock if it is free; empty when another process holds it. */
  public static Optional<StateDirLock> tryTake(Path stateDir) throws IOException {
    FileChannel channel = open(stateDir);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      return Optional.empty();
    }
    return Optional.of(stamped(channel, lock));
  }

  /** Waits until the lock is free (its holder ended), then takes it. Interruptible only by ending the process. */
  public static StateDirLock await(Path stateDir) throws IOException {
    FileChannel channel = open(stateDir);
    try {
      return stamped(channel, channel.lock());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public boolean held() {
    return lock.isValid();
  }

  @Override
  public void close() throws IOException {
    channel.close(); // releases the lock
  }

  private static FileChannel open(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    Path file = stateDir.resolve(FILE);
    if (!Files.exists(file)) {
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
      } catch (FileAlreadyExistsException raced) {
        // another controller made it first: the lock decides
      }
    }
    // never opened twice in one process: a POSIX lock ends when any of the process's descriptors of the file closes
    return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private static StateDirLock stamped(FileChannel channel, FileLock lock) throws IOException {
    byte[] pid = ("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(pid), 0);
    channel.force(false);
    return new StateDirLock(channel, lock);
  }

  /**
   * What the lock file says of its holder ("pid N"). Only for a process that holds no lock on it: closing any
   * descriptor of the file would end this process's own POSIX lock.
   */
  private static String holder(Path stateDir) {
    try {
      String text = Files.readString(stateDir.resolve(FILE), StandardCharsets.US_ASCII).strip();
      return text.isEmpty() ? "pid unknown" : text;
    } catch (IOException e) {
      return "pid unknown";
    }
  }

}
