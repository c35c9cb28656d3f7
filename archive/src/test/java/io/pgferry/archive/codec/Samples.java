package io.pgferry.archive.codec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Inputs for codec tests, and a runner for the real command-line compressors. */
final class Samples {
  private Samples() {}

  record Sample(String name, byte[] data) {
    @Override
    public String toString() {
      return name + " (" + data.length + " bytes)";
    }
  }

  static List<Sample> all() {
    return List.of(
        new Sample("empty", new byte[0]),
        new Sample("random", random(1_000_003, 1)),
        new Sample("compressible", text(3_000_000)),
        new Sample("wal-like 16 MiB", walLike(16 * 1024 * 1024)));
  }

  /** Smaller set for the slower formats (xz at its default level takes seconds per 16 MiB here). */
  static List<Sample> small() {
    return List.of(
        new Sample("empty", new byte[0]),
        new Sample("random", random(300_007, 1)),
        new Sample("compressible", text(1_000_000)),
        new Sample("wal-like 4 MiB", walLike(4 * 1024 * 1024)));
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] text(int size) {
    StringBuilder sb = new StringBuilder(size + 100);
    Random r = new Random(7);
    String[] words = {"ledger", "account", "balance", "insert", "update", "transfer", "postgres", "ferry", "wal"};
    while (sb.length() < size) {
      sb.append(r.nextInt(100000)).append('\t').append(words[r.nextInt(words.length)]).append('\t')
          .append(words[r.nextInt(words.length)]).append('\n');
    }
    return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
  }

  /** 8 KiB pages with a WAL page header, record-like runs of mixed random and repeated bytes, a zero tail. */
  static byte[] walLike(int size) {
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    Random r = new Random(42);
    byte[] tuple = new byte[120];
    int usedUpTo = size * 3 / 4; // the rest stays zero, as in a segment switched early
    for (int page = 0; page * 8192 < usedUpTo; page++) {
      int start = page * 8192;
      b.position(start);
      b.putShort((short) 0xD10D).putShort((short) (page == 0 ? 2 : 0)).putInt(1).putLong(0x3000000L + start);
      while (b.position() + 200 < start + 8192) {
        b.putInt(24 + tuple.length).putInt(r.nextInt(1000)).putLong(0x3000000L + b.position());
        r.nextBytes(tuple);
        for (int i = 40; i < tuple.length; i++) {
          tuple[i] = (byte) (i % 7); // padding-like, compressible
        }
        b.put(tuple);
      }
    }
    return b.array();
  }

  static boolean haveTool(String tool) {
    try {
      Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
      return p.waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** Runs a command with stdin and stdout connected to files; fails on non-zero exit with its stderr. */
  static void run(Path in, Path out, String... argv) throws IOException, InterruptedException {
    Path err = Files.createTempFile("codec-cmd", ".err");
    try {
      Process p = new ProcessBuilder(argv).redirectInput(in.toFile()).redirectOutput(out.toFile())
          .redirectError(err.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", argv) + " timed out");
      }
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", argv) + " exited " + p.exitValue() + ": " + Files.readString(err));
      }
    } finally {
      Files.deleteIfExists(err);
    }
  }
}
