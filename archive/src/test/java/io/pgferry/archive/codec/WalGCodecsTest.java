package io.pgferry.archive.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.UsageException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * WAL-G's formats against the real command-line tools (lz4, zstd, xz --format=lzma, gzip), both directions, plus
 * corruption: a flipped byte (formats with a checksum) and a cut-off stream must be {@link CorruptDataException}.
 */
class WalGCodecsTest {
  @TempDir
  Path dir;

  /** codec, the tool's compress command, its decompress command. */
  record Tool(Codec codec, List<String> compress, List<String> decompress) {
    @Override
    public String toString() {
      return codec.name();
    }
  }

  static final List<Tool> TOOLS = List.of(
      new Tool(Codecs.LZ4, List.of("lz4", "-c", "-q"), List.of("lz4", "-d", "-c", "-q")),
      new Tool(Codecs.ZSTD, List.of("zstd", "-c", "-q"), List.of("zstd", "-d", "-c", "-q")),
      new Tool(Codecs.LZMA, List.of("xz", "--format=lzma", "-c"), List.of("xz", "--format=lzma", "-d", "-c")),
      new Tool(Codecs.GZIP, List.of("gzip", "-c"), List.of("gzip", "-d", "-c")));

  static List<Arguments> toolsAndSamples() {
    List<Arguments> args = new ArrayList<>();
    for (Tool t : TOOLS) {
      for (Samples.Sample s : Samples.small()) {
        args.add(Arguments.of(t, s));
      }
    }
    return args;
  }

  static List<Tool> tools() {
    return TOOLS;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("toolsAndSamples")
  void realToolOutputDecompresses(Tool tool, Samples.Sample sample) throws Exception {
    assertTrue(Samples.haveTool(tool.compress().get(0)), tool.compress().get(0) + " is not installed");
    Path raw = dir.resolve("raw");
    Files.write(raw, sample.data());
    Path packed = dir.resolve("packed" + tool.codec().extension());
    Samples.run(raw, packed, tool.compress().toArray(String[]::new));
    assertArrayEquals(sample.data(), decompress(tool.codec(), Files.readAllBytes(packed)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("toolsAndSamples")
  void realToolDecompressesOurOutput(Tool tool, Samples.Sample sample) throws Exception {
    Path packed = dir.resolve("ours" + tool.codec().extension());
    Files.write(packed, compress(tool.codec(), sample.data()));
    Path back = dir.resolve("back");
    Samples.run(packed, back, tool.decompress().toArray(String[]::new));
    assertArrayEquals(sample.data(), Files.readAllBytes(back));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tools")
  void truncatedStreamIsCorrupt(Tool tool) throws Exception {
    Path raw = dir.resolve("raw");
    Files.write(raw, Samples.text(1_000_000));
    Path packed = dir.resolve("packed");
    Samples.run(raw, packed, tool.compress().toArray(String[]::new));
    byte[] all = Files.readAllBytes(packed);
    for (int cut : new int[] {all.length - 1, all.length / 2, 3}) {
      byte[] shorter = Arrays.copyOf(all, cut);
      assertThrows(CorruptDataException.class, () -> decompress(tool.codec(), shorter), tool + " cut at " + cut);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tools")
  void flippedByteIsCorruptWhereTheFormatHasAChecksum(Tool tool) throws Exception {
    if (tool.codec() == Codecs.LZMA) {
      return; // LZMA-alone has no checksum; nothing can promise to notice (see LzmaCodec)
    }
    Path raw = dir.resolve("raw");
    Files.write(raw, Samples.walLike(1024 * 1024));
    Path packed = dir.resolve("packed");
    Samples.run(raw, packed, tool.compress().toArray(String[]::new));
    byte[] all = Files.readAllBytes(packed);
    byte[] original = Files.readAllBytes(raw);
    int caught = 0;
    for (int at : new int[] {all.length / 2, all.length / 3, all.length / 5, all.length - 2}) {
      byte[] bad = all.clone();
      bad[at] ^= 0x20;
      try {
        // a flip can be harmless (e.g. a match offset moved to identical bytes): then the output must be exact
        assertArrayEquals(original, decompress(tool.codec(), bad), tool + " flipped at " + at + " gave garbage");
      } catch (CorruptDataException expected) {
        caught++;
      }
    }
    assertTrue(caught >= 2, tool + ": only " + caught + " of 4 flips detected");
  }

  @Test
  void sourceErrorsStayIoErrorsNotCorruption() throws Exception {
        for (Tool tool : TOOLS) {
      byte[] data = compress(tool.codec(), Samples.text(1_000_000));
      IOException broken = new IOException("connection reset");
      InputStream failing = new InputStream() {
        int pos;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (pos > data.length / 2) {
            throw broken;
          }
          int n = Math.min(len, Math.min(1000, data.length - pos));
          System.arraycopy(data, pos, b, off, n);
          pos += n;
          return n;
        }
      };
      IOException e = assertThrows(IOException.class, () -> {
        try (InputStream in = tool.codec().decompress(failing)) {
          in.readAllBytes();
        }
      });
      assertTrue(!(e instanceof CorruptDataException), tool + ": " + e);
    }
  }

  @Test
  void registryFindsCodecsByNameExtensionAndKey() {
    assertSame(Codecs.LZO, Codecs.forExtension(".lzo").orElseThrow());
    assertSame(Codecs.LZ4, Codecs.forName("lz4"));
    assertSame(Codecs.ZSTD, Codecs.forName("zstd"));
    assertSame(Codecs.ZSTD, Codecs.forExtension("zst").orElseThrow());
    assertSame(Codecs.LZMA, Codecs.forExtension(".lzma").orElseThrow());
    assertSame(Codecs.NONE, Codecs.forExtension("").orElseThrow());
    assertSame(Codecs.NONE, Codecs.forKey("basebackups_005/base_1/tar_partitions/part_001.tar").orElseThrow());
    assertSame(Codecs.LZ4, Codecs.forKey("basebackups_005/base_1/tar_partitions/part_001.tar.lz4").orElseThrow());
    assertSame(Codecs.LZO, Codecs.forKey("wal_005/000000010000000000000001.lzo").orElseThrow());
    assertTrue(Codecs.forKey("basebackups_005/base_1/metadata.json").isEmpty());
    UsageException e = assertThrows(UsageException.class, () -> Codecs.forName("brotli"));
    assertTrue(e.getMessage().contains("not supported"), e.getMessage());
    assertTrue(Codecs.forExtension(".rar").isEmpty());
    assertTrue(Codecs.forExtension(".br").isEmpty());
    for (Codec c : Codecs.all()) {
      assertEquals(c, Codecs.forExtension(c.extension()).orElseThrow());
      assertEquals(c, Codecs.forName(c.name()));
    }
  }

  @Test
  void noneCodecPassesBytesThrough() throws Exception {
    byte[] data = Samples.random(1000, 2);
    assertArrayEquals(data, compress(Codecs.NONE, data));
    assertArrayEquals(data, decompress(Codecs.NONE, data));
  }

  @Test
  void lzmaHeaderIsWalGs() throws Exception {
    byte[] packed = compress(Codecs.LZMA, Samples.text(1000));
    // props byte (pb*5+lp)*9+lc = 93, dictionary 8 MiB little-endian, size unknown (all ones)
    assertEquals(93, packed[0] & 0xFF);
    assertEquals(LzmaCodec.DICTIONARY_SIZE, (packed[1] & 0xFF) | (packed[2] & 0xFF) << 8 | (packed[3] & 0xFF) << 16
        | (packed[4] & 0xFF) << 24);
    for (int i = 5; i < 13; i++) {
      assertEquals(0xFF, packed[i] & 0xFF);
    }
    assertInstanceOf(LzmaCodec.class, Codecs.forKey("x.tar.lzma").orElseThrow());
  }

  static byte[] compress(Codec codec, byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = codec.compress(bytes)) {
      for (int off = 0; off < data.length; off += 70_001) {
        out.write(data, off, Math.min(70_001, data.length - off));
      }
    }
    return bytes.toByteArray();
  }

  static byte[] decompress(Codec codec, byte[] packed) throws IOException {
    try (InputStream in = codec.decompress(new ByteArrayInputStream(packed))) {
      return in.readAllBytes();
    }
  }
}
