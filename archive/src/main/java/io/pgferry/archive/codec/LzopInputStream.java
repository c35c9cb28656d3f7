package io.pgferry.archive.codec;

import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lzo.LzoDecompressor;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.Adler32;
import java.util.zip.CRC32;
import java.util.zip.Checksum;

/**
 * Reads lzop's file format (any flags lzop writes: Adler-32/CRC-32 on uncompressed and compressed blocks, a CRC-32
 * header, extra field, names; methods LZO1X-1, LZO1X-1(15), LZO1X-999). Every checksum present is verified; a
 * mismatch, bad framing or a stream that ends before the end marker is a {@link CorruptDataException}.
 */
final class LzopInputStream extends InputStream {
  private final DataInputStream in;
  private final LzoDecompressor decompressor = new LzoDecompressor();
  private int flags;
  private long blockNo;
  private byte[] block = new byte[0];
  private int pos;
  private int limit;
  private boolean ended;
  private byte[] compressedBuf = new byte[0];

  LzopInputStream(InputStream compressed) throws IOException {
    this.in = new DataInputStream(compressed);
    readHeader();
  }

  private void readHeader() throws IOException {
    byte[] magic = new byte[Lzop.MAGIC.length];
    readFully(magic, "magic");
    if (!Arrays.equals(magic, Lzop.MAGIC)) {
      throw new CorruptDataException("not an lzop file (bad magic)");
    }
    HeaderReader h = new HeaderReader();
    int version = h.u16();
    if (version < 0x0900) {
      throw new CorruptDataException("lzop header: version 0x" + Integer.toHexString(version) + " too old");
    }
    h.u16(); // library version
    if (version >= 0x0940) {
      int needed = h.u16();
      if (needed > Lzop.VERSION) {
        throw new CorruptDataException("lzop header: needs lzop version 0x" + Integer.toHexString(needed));
      }
    }
    int method = h.u8();
    if (method != Lzop.METHOD_LZO1X_1 && method != Lzop.METHOD_LZO1X_1_15 && method != Lzop.METHOD_LZO1X_999) {
      throw new CorruptDataException("lzop header: unsupported method " + method + " (only LZO1X)");
    }
    if (version >= 0x0940) {
      h.u8(); // level
    }
    flags = h.u32();
    if ((flags & Lzop.F_H_FILTER) != 0) {
      h.u32();
      throw new CorruptDataException("lzop header: filters are not supported");
    }
    if ((flags & Lzop.F_MULTIPART) != 0) {
      throw new CorruptDataException("lzop header: multipart archives are not supported");
    }
    h.u32(); // mode
    h.u32(); // mtime low
    if (version >= 0x0940) {
      h.u32(); // mtime high
    }
    int nameLength = h.u8();
    h.bytes(nameLength);
    int expected = in.readInt();
    if (expected != h.checksumValue()) {
      throw new CorruptDataException("lzop header checksum mismatch");
    }
    if ((flags & Lzop.F_H_EXTRA_FIELD) != 0) {
      HeaderReader extra = new HeaderReader();
      int len = extra.u32();
      extra.bytes(len);
      if (in.readInt() != extra.checksumValue()) {
        throw new CorruptDataException("lzop extra field checksum mismatch");
      }
    }
  }

  /** Reads header fields, keeping their bytes for the header checksum (Adler-32, or CRC-32 if flagged). */
  private final class HeaderReader {
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final byte[] scratch = new byte[4];

    int u8() throws IOException {
      return (int) read(1);
    }

    int u16() throws IOException {
      return (int) read(2);
    }

    int u32() throws IOException {
      return (int) read(4);
    }

    private long read(int n) throws IOException {
      readFully(scratch, 0, n, "header");
      seen.write(scratch, 0, n);
      long v = 0;
      for (int i = 0; i < n; i++) {
        v = (v << 8) | (scratch[i] & 0xFF);
      }
      return v;
    }

    void bytes(int n) throws IOException {
      byte[] b = new byte[n];
      readFully(b, "header");
      seen.write(b, 0, n);
    }

    /** The checksum kind is only known once the flags field (mid-header) has been read. */
    int checksumValue() {
      Checksum sum = (flags & Lzop.F_H_CRC32) != 0 ? new CRC32() : new Adler32();
      byte[] all = seen.toByteArray();
      sum.update(all, 0, all.length);
      return (int) sum.getValue();
    }
  }

  private boolean nextBlock() throws IOException {
    int ulen;
    try {
      ulen = in.readInt();
    } catch (EOFException e) {
      throw new CorruptDataException("lzop stream truncated after block " + blockNo + " (no end marker)");
    }
    if (ulen == 0) {
      ended = true;
      return false;
    }
    blockNo++;
    int clen = readInt("block length");
    if (ulen < 0 || ulen > Lzop.MAX_BLOCK_SIZE || clen <= 0 || clen > ulen) {
      throw new CorruptDataException("lzop block " + blockNo + ": bad lengths (uncompressed " + (ulen & 0xFFFFFFFFL)
          + ", compressed " + (clen & 0xFFFFFFFFL) + ")");
    }
    boolean stored = clen == ulen;
    int adlerD = (flags & Lzop.F_ADLER32_D) != 0 ? readInt("checksum") : 0;
    int crcD = (flags & Lzop.F_CRC32_D) != 0 ? readInt("checksum") : 0;
    int adlerC = !stored && (flags & Lzop.F_ADLER32_C) != 0 ? readInt("checksum") : 0;
    int crcC = !stored && (flags & Lzop.F_CRC32_C) != 0 ? readInt("checksum") : 0;
    if (block.length < ulen) {
      block = new byte[ulen];
    }
    if (stored) {
      readFully(block, 0, ulen, "block data");
    } else {
      if (compressedBuf.length < clen) {
        compressedBuf = new byte[clen];
      }
      readFully(compressedBuf, 0, clen, "block data");
      if ((flags & Lzop.F_ADLER32_C) != 0) {
        verify(adlerC, new Adler32(), compressedBuf, clen, "Adler-32 of compressed data");
      }
      if ((flags & Lzop.F_CRC32_C) != 0) {
        verify(crcC, new CRC32(), compressedBuf, clen, "CRC-32 of compressed data");
      }
      int n;
      try {
        n = decompressor.decompress(compressedBuf, 0, clen, block, 0, ulen);
      } catch (MalformedInputException | IndexOutOfBoundsException e) {
        throw new CorruptDataException("lzop block " + blockNo + ": malformed LZO data (" + e.getMessage() + ")");
      }
      if (n != ulen) {
        throw new CorruptDataException("lzop block " + blockNo + ": decompressed to " + n + " bytes, header says "
            + ulen);
      }
    }
    if ((flags & Lzop.F_ADLER32_D) != 0) {
      verify(adlerD, new Adler32(), block, ulen, "Adler-32");
    }
    if ((flags & Lzop.F_CRC32_D) != 0) {
      verify(crcD, new CRC32(), block, ulen, "CRC-32");
    }
    pos = 0;
    limit = ulen;
    return true;
  }

  private void verify(int expected, Checksum sum, byte[] data, int len, String what) throws CorruptDataException {
    sum.update(data, 0, len);
    if ((int) sum.getValue() != expected) {
      throw new CorruptDataException("lzop block " + blockNo + ": " + what + " mismatch (expected "
          + Integer.toHexString(expected) + ", got " + Long.toHexString(sum.getValue()) + ")");
    }
  }

  private int readInt(String what) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw new CorruptDataException("lzop stream truncated in " + what + " of block " + blockNo);
    }
  }

  private void readFully(byte[] b, String what) throws IOException {
    readFully(b, 0, b.length, what);
  }

  private void readFully(byte[] b, int off, int len, String what) throws IOException {
    try {
      in.readFully(b, off, len);
    } catch (EOFException e) {
      throw new CorruptDataException("lzop stream truncated in " + what + (blockNo > 0 ? " of block " + blockNo : ""));
    }
  }

  private boolean fill() throws IOException {
    while (pos == limit) {
      if (ended || !nextBlock()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    return fill() ? block[pos++] & 0xFF : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, limit - pos);
    System.arraycopy(block, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return limit - pos;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
