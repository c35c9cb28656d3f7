package io.pgferry.archive.codec;

import io.airlift.compress.lzo.LzoCompressor;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Adler32;

/**
 * Writes lzop's file format, as {@code lzop -c} does for stdin: header, 256 KiB LZO1X-1 blocks each with the
 * Adler-32 of its uncompressed bytes, a block that does not shrink stored raw, and a zero-length end marker.
 * {@link #close()} writes the end marker and closes the sink.
 */
final class LzopOutputStream extends OutputStream {
  private final DataOutputStream out;
  private final LzoCompressor compressor = new LzoCompressor();
  private final byte[] block = new byte[Lzop.BLOCK_SIZE];
  private final byte[] compressed = new byte[new LzoCompressor().maxCompressedLength(Lzop.BLOCK_SIZE)];
  private int filled;
  private boolean closed;

  LzopOutputStream(OutputStream sink, long mtimeSeconds) throws IOException {
    this.out = new DataOutputStream(sink);
    writeHeader(mtimeSeconds);
  }

  private void writeHeader(long mtimeSeconds) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream h = new DataOutputStream(bytes);
    h.writeShort(Lzop.VERSION);
    h.writeShort(Lzop.LIB_VERSION);
    h.writeShort(Lzop.VERSION_NEEDED);
    h.writeByte(Lzop.METHOD_LZO1X_1);
    h.writeByte(5); // lzop's level byte for its default LZO1X-1 method
    h.writeInt(Lzop.WRITE_FLAGS);
    h.writeInt(0); // mode: none, as for stdin
    h.writeInt((int) mtimeSeconds);
    h.writeInt((int) (mtimeSeconds >>> 32));
    h.writeByte(0); // no file name
    byte[] header = bytes.toByteArray();
    Adler32 adler = new Adler32();
    adler.update(header);
    out.write(Lzop.MAGIC);
    out.write(header);
    out.writeInt((int) adler.getValue());
  }

  @Override
  public void write(int b) throws IOException {
    ensureOpen();
    block[filled++] = (byte) b;
    if (filled == block.length) {
      flushBlock();
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    ensureOpen();
    while (len > 0) {
      int n = Math.min(len, block.length - filled);
      System.arraycopy(b, off, block, filled, n);
      filled += n;
      off += n;
      len -= n;
      if (filled == block.length) {
        flushBlock();
      }
    }
  }

  private void flushBlock() throws IOException {
    if (filled == 0) {
      return;
    }
    Adler32 adler = new Adler32();
    adler.update(block, 0, filled);
    int clen = compressor.compress(block, 0, filled, compressed, 0, compressed.length);
    out.writeInt(filled);
    if (clen < filled) {
      out.writeInt(clen);
      out.writeInt((int) adler.getValue());
      out.write(compressed, 0, clen);
    } else {
      out.writeInt(filled);
      out.writeInt((int) adler.getValue());
      out.write(block, 0, filled);
    }
    filled = 0;
  }

  /** Flushes whole blocks only: a partial block stays buffered so block sizes match lzop's. */
  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flushBlock();
      out.writeInt(0);
      out.flush();
    } finally {
      out.close();
    }
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("lzop stream closed");
    }
  }
}
