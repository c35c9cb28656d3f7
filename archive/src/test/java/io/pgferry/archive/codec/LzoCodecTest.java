package io.pgferry.archive.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Our lzop framing against Debian's real lzop program, both directions. */
class LzoCodecTest {
  private static final LzoCodec CODEC = new LzoCodec();

  @TempDir
  Path dir;

  @BeforeAll
  static void lzopInstalled() {
    assertTrue(Samples.haveTool("lzop"), "the real lzop program is needed: apt-get install -y lzop");
  }

  static List<Samples.Sample> samples() {
    return Samples.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void realLzopDecompressesOurOutput(Samples.Sample sample) throws Exception {
    Path ours = dir.resolve("ours.lzo");
    Files.write(ours, compress(sample.data()));
    Path back = dir.resolve("back");
    Samples.run(ours, back, "lzop", "-d", "-c");
    assertArrayEquals(sample.data(), Files.readAllBytes(back));
    Samples.run(ours, dir.resolve("test.out"), "lzop", "-t"); // lzop's own integrity test passes too
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void weDecompressRealLzopOutput(Samples.Sample sample) throws Exception {
    Path raw = dir.resolve("raw");
    Files.write(raw, sample.data());
    for (String[] options : List.of(new String[] {}, new String[] {"-1"}, new String[] {"-9"},
        new String[] {"--crc32"}, new String[] {"-3", "--crc32"})) {
      Path lzo = dir.resolve("theirs.lzo");
      String[] argv = concat(new String[] {"lzop", "-c"}, options);
      Samples.run(raw, lzo, argv);
      assertArrayEquals(sample.data(), decompress(Files.readAllBytes(lzo)), "lzop " + Arrays.toString(options));
    }
  }

  @Test
  void namedFileWithModeAndMtimeFromRealLzop() throws Exception {
    Path raw = dir.resolve("000000010000000000000003");
    byte[] data = Samples.walLike(1 << 20);
    Files.write(raw, data);
    Samples.run(raw, dir.resolve("named.lzo"), "lzop", "-c", raw.toString());
    assertArrayEquals(data, decompress(Files.readAllBytes(dir.resolve("named.lzo"))));
  }

  @Test
  void flippedByteInCompressedBlockIsCorrupt() throws Exception {
    byte[] lzo = compress(Samples.text(600_000));
    byte[] bad = lzo.clone();
    bad[lzo.length / 2] ^= 0x10;
    assertThrows(CorruptDataException.class, () -> decompress(bad));
  }

  @Test
  void flippedByteInStoredBlockIsCorrupt() throws Exception {
    byte[] lzo = compress(Samples.random(300_000, 3)); // incompressible: blocks are stored raw
    byte[] bad = lzo.clone();
    bad[lzo.length - 100] ^= 0x01;
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> decompress(bad));
    assertTrue(e.getMessage().contains("Adler-32"), e.getMessage());
  }

  @Test
  void flippedByteInRealLzopCrcFileIsCorrupt() throws Exception {
    Path raw = dir.resolve("raw");
    Files.write(raw, Samples.walLike(1 << 20));
    Path lzo = dir.resolve("crc.lzo");
    Samples.run(raw, lzo, "lzop", "-c", "--crc32");
    byte[] bad = Files.readAllBytes(lzo);
    bad[bad.length / 3] ^= 0x40;
    assertThrows(CorruptDataException.class, () -> decompress(bad));
  }

  @Test
  void truncatedStreamIsCorruptNotShort() throws Exception {
    byte[] lzo = compress(Samples.text(600_000));
    byte[] cut = Arrays.copyOf(lzo, lzo.length - 4); // only the end marker is missing
    assertThrows(CorruptDataException.class, () -> decompress(cut));
    byte[] cutMidBlock = Arrays.copyOf(lzo, lzo.length / 2);
    assertThrows(CorruptDataException.class, () -> decompress(cutMidBlock));
  }

  @Test
  void headerDamageAndForeignFilesAreCorrupt() throws Exception {
    byte[] lzo = compress(Samples.text(1000));
    byte[] badHeader = lzo.clone();
    badHeader[20] ^= 0x01; // inside the mtime: only the header checksum notices
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> decompress(badHeader));
    assertTrue(e.getMessage().contains("header checksum"), e.getMessage());
    assertThrows(CorruptDataException.class, () -> decompress("not lzop at all".getBytes()));
    assertThrows(CorruptDataException.class, () -> decompress(new byte[0]));
  }

  @Test
  void headerLooksLikeLzopsOwn() throws Exception {
    byte[] lzo = compress(new byte[0]);
    Path raw = dir.resolve("empty");
    Files.write(raw, new byte[0]);
    Path theirs = dir.resolve("theirs.lzo");
    Samples.run(raw, theirs, "lzop", "-c");
    byte[] real = Files.readAllBytes(theirs);
    // same magic, version, needed version, method, level and flags (bytes 0..20); only mtime and checksums differ
    assertArrayEquals(Arrays.copyOf(real, 21), Arrays.copyOf(lzo, 21));
    assertEquals(real.length, lzo.length);
  }

  static byte[] compress(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = CODEC.compress(bytes)) {
      // odd write sizes so block boundaries fall mid-write
      for (int off = 0; off < data.length; off += 70_001) {
        out.write(data, off, Math.min(70_001, data.length - off));
      }
    }
    return bytes.toByteArray();
  }

  static byte[] decompress(byte[] lzo) throws IOException {
    try (InputStream in = CODEC.decompress(new ByteArrayInputStream(lzo))) {
      return in.readAllBytes();
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
