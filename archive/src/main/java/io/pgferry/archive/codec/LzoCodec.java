package io.pgferry.archive.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;

/**
 * WAL-E's compression: lzop's file format (what {@code lzop -c} writes and {@code lzop -d} reads), LZO1X blocks
 * with Adler-32 checksums. Reads every variant lzop writes; checksum mismatches are {@link CorruptDataException}.
 */
public final class LzoCodec implements Codec {
  private final Clock clock;

  public LzoCodec() {
    this(Clock.systemUTC());
  }

  /** The clock stamps the header's mtime, as lzop stamps data read from stdin with the current time. */
  public LzoCodec(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String name() {
    return "lzo";
  }

  @Override
  public String extension() {
    return ".lzo";
  }

  @Override
  public InputStream decompress(InputStream compressed) throws IOException {
    return new LzopInputStream(compressed);
  }

  @Override
  public boolean canCompress() {
    return true;
  }

  @Override
  public OutputStream compress(OutputStream sink) throws IOException {
    return new LzopOutputStream(sink, clock.instant().getEpochSecond());
  }
}
