package io.pgferry.archive.codec;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** No compression (WAL-G's {@code none}): objects are stored as they are, with no extension. */
public final class NoneCodec implements Codec {
  @Override
  public String name() {
    return "none";
  }

  @Override
  public String extension() {
    return "";
  }

  @Override
  public InputStream decompress(InputStream compressed) {
    return compressed;
  }

  @Override
  public boolean canCompress() {
    return true;
  }

  @Override
  public OutputStream compress(OutputStream sink) {
    return new FilterOutputStream(sink) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }
    };
  }
}
