package io.pgferry.archive.codec;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** WAL-G's {@code .zst}: zstd frames (zstd-jni); frames with a content checksum have it verified. */
public final class ZstdCodec implements Codec {
  /** WAL-G's and the zstd program's default level. */
  static final int LEVEL = 3;

  @Override
  public String name() {
    return "zstd";
  }

  @Override
  public String extension() {
    return ".zst";
  }

  @Override
  public InputStream decompress(InputStream compressed) throws IOException {
    // continuous=false: a frame cut short is an error, not a quiet end of stream
    return GuardedDecoding.open(name(), compressed, in -> new BufferedInputStream(new ZstdInputStream(in)
        .setContinuous(false)));
  }

  @Override
  public boolean canCompress() {
    return true;
  }

  @Override
  public OutputStream compress(OutputStream sink) throws IOException {
    return new ZstdOutputStream(sink, LEVEL).setChecksum(true);
  }
}
