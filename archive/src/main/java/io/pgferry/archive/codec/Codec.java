package io.pgferry.archive.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A compression format of archived files, chosen by file extension so stored objects describe themselves
 * (WAL-E: .lzo; WAL-G: .lz4 (default), .zst, .lzma, .br; none). A corrupt input must fail with
 * {@link CorruptDataException}, not a short read that looks like a valid end.
 */
public interface Codec {
  /** Name used in configs and sentinels, e.g. "lzo", "lz4". */
  String name();

  /** File extension with the dot, e.g. ".lzo"; "" for uncompressed. */
  String extension();

  InputStream decompress(InputStream compressed) throws IOException;

  /** Not every codec can write (WAL-G formats are read-only in pgferry). */
  default boolean canCompress() {
    return false;
  }

  default OutputStream compress(OutputStream sink) throws IOException {
    throw new UnsupportedOperationException(name() + " is read-only");
  }
}
