package io.pgferry.archive.codec;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.LZMAOutputStream;

/**
 * WAL-G's {@code .lzma}: the legacy LZMA-alone container ({@code xz --format=lzma}), not .xz. WAL-G writes lc=3,
 * lp=0, pb=2, an 8 MiB dictionary, unknown size and an end marker. The format has no checksum: corruption is
 * caught only when it breaks the decoder or the end marker.
 */
public final class LzmaCodec implements Codec {
  static final int DICTIONARY_SIZE = 8 * 1024 * 1024;

  @Override
  public String name() {
    return "lzma";
  }

  @Override
  public String extension() {
    return ".lzma";
  }

  @Override
  public InputStream decompress(InputStream compressed) throws IOException {
    return GuardedDecoding.open(name(), compressed,
        in -> new LZMAInputStream(new BufferedInputStream(in, 64 * 1024)));
  }

  @Override
  public boolean canCompress() {
    return true;
  }

  @Override
  public OutputStream compress(OutputStream sink) throws IOException {
    LZMA2Options options = new LZMA2Options();
    options.setDictSize(DICTIONARY_SIZE);
    options.setLcLp(3, 0);
    options.setPb(2);
    return new LZMAOutputStream(sink, options, -1); // -1: size unknown in the header, so an end marker
  }
}
