package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A small tmpfs mounted for a test, to fill up on purpose. As root (how ./test runs) a mount that fails fails the
 * test; elsewhere the test is skipped, saying why on stderr.
 */
final class SmallTmpfs implements AutoCloseable {
  private static final int PAGE = 4096;
  final Path root;
  private final Path filler;

  private SmallTmpfs(Path root) {
    this.root = root;
    this.filler = root.resolve("filler");
  }

  static SmallTmpfs mount(Path dir, String size) throws Exception {
    Files.createDirectories(dir);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", dir.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    if (p.waitFor() != 0) {
      notMounted(new UnixSystem().getUid() == 0, out);
    }
    return new SmallTmpfs(dir);
  }

  /** Root can always mount a tmpfs: a skip there would hide the full-disk tests from every run. */
  static void notMounted(boolean root, String why) {
    String m = "cannot mount a tmpfs here (" + why + ")";
    if (root) {
      fail(m + ", although running as root: the full-disk test needs it");
    }
    System.err.println(m + ": the full-disk test is skipped (it needs root)");
    abort(m + ": the full-disk test is skipped (it needs root)");
  }

  /** Writes to a filler file until the file system refuses; returns the bytes written. */
  long fill() {
    byte[] chunk = new byte[PAGE];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(filler, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      while (true) {
        out.write(chunk);
        written += chunk.length;
        out.flush();
      }
    } catch (IOException full) {
      return written;
    }
  }

  /**
   * Pads a journal with blank lines (skipped on load) to the end of its last page, so that its next record needs a
   * page of its own: once the disk is full that record cannot be written, however small.
   */
  static void padToPageEnd(Path journal) throws IOException {
    long size = Files.size(journal);
    int pad = (int) ((PAGE - size % PAGE) % PAGE);
    Files.write(journal, "\n".repeat(pad).getBytes(), StandardOpenOption.APPEND);
  }

  void free() throws IOException {
    Files.deleteIfExists(filler);
  }

  @Override
  public void close() throws Exception {
    new ProcessBuilder("umount", root.toString()).inheritIO().start().waitFor();
  }
}
