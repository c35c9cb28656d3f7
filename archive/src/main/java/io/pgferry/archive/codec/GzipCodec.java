package io.pgferry.archive.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** {@code .gz}, which WAL-G still reads from old archives; the gzip trailer's CRC-32 is verified. */
public final class GzipCodec implements Codec {
  @Override
  public String name() {
    return "gzip";
  }

  @Override
  public String extension() {
    return ".gz";
  }

  @Override
  public InputStream decompress(InputStream compressed) throws IOException {
    return GuardedDecoding.open(name(), compressed, in -> new GZIPInputStream(in, 64 * 1024));
  }

  @Override
  public boolean canCompress() {
    return true;
  }

  @Override
  public OutputStream compress(OutputStream sink) throws IOException {
    return new GZIPOutputStream(sink, 64 * 1024);
  }
}
