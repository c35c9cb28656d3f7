package io.pgferry.archive.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;

/**
 * WAL-G's default: the standard LZ4 frame format (magic 0x184D2204), as WAL-G (pierrec/lz4) and the {@code lz4}
 * program write it: independent 4 MiB blocks and an xxHash32 content checksum, verified when the frame ends.
 */
public final class Lz4Codec implements Codec {
  @Override
  public String name() {
    return "lz4";
  }

  @Override
  public String extension() {
    return ".lz4";
  }

  @Override
  public InputStream decompress(InputStream compressed) throws IOException {
    return GuardedDecoding.open(name(), compressed, LZ4FrameInputStream::new);
  }

  @Override
  public boolean canCompress() {
    return true;
  }

  @Override
  public OutputStream compress(OutputStream sink) throws IOException {
    return new LZ4FrameOutputStream(sink, LZ4FrameOutputStream.BLOCKSIZE.SIZE_4MB,
        LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE, LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM);
  }
}
