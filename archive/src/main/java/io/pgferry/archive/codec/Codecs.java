package io.pgferry.archive.codec;

import io.pgferry.common.UsageException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The codecs pgferry knows, by name and by file extension. Stored objects describe themselves: the extension of a
 * key chooses its decompressor, as in WAL-G. The one codec registry of the archive engine.
 */
public final class Codecs {
  public static final Codec LZO = new LzoCodec();
  public static final Codec LZ4 = new Lz4Codec();
  public static final Codec ZSTD = new ZstdCodec();
  public static final Codec LZMA = new LzmaCodec();
  public static final Codec GZIP = new GzipCodec();
  public static final Codec NONE = new NoneCodec();

  /** Every codec; those with an extension in the order WAL-G tries them when fetching WAL (none last). */
  private static final List<Codec> ALL = List.of(LZ4, LZMA, ZSTD, LZO, GZIP, NONE);

  private Codecs() {}

  public static List<Codec> all() {
    return ALL;
  }

  /** WAL-G's names too: "zst" for zstd, "brotli" is recognised but not supported. */
  public static Codec forName(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "lzo", "lzop" -> LZO;
      case "lz4" -> LZ4;
      case "zstd", "zst" -> ZSTD;
      case "lzma" -> LZMA;
      case "gzip", "gz" -> GZIP;
      case "none", "" -> NONE;
      case "brotli", "br" -> throw new UsageException("compression 'brotli' is not supported by pgferry; "
          + "use lz4, zstd, lzma, lzo or none");
      default -> throw new UsageException("compression '" + name + "' unknown; use lz4, zstd, lzma, lzo, gzip "
          + "or none");
    };
  }

  /** The codec for an extension with or without its dot: ".lzo", "lz4"; "" is none; empty when unknown. */
  public static Optional<Codec> forExtension(String extension) {
    String e = extension == null ? "" : extension.trim().toLowerCase(Locale.ROOT);
    String dotted = e.isEmpty() || e.startsWith(".") ? e : "." + e;
    return ALL.stream().filter(c -> c.extension().equals(dotted)).findFirst();
  }

  /**
   * The codec for an object key, chosen by its last extension ({@code part_001.tar.lz4}: lz4; {@code .tar} or no
   * extension: none); empty when the extension is not a codec's (e.g. {@code .json}).
   */
  public static Optional<Codec> forKey(String key) {
    String file = key.substring(key.lastIndexOf('/') + 1);
    int dot = file.lastIndexOf('.');
    String ext = dot < 0 ? "" : file.substring(dot);
    if (ext.equals(".tar") || ext.isEmpty() || !ext.matches("\\.[a-z0-9]+")) {
      return Optional.of(NONE);
    }
    return forExtension(ext);
  }

  /** What pgferry writes: lzop, as WAL-E (so WAL-E and WAL-G can read pgferry's archive). */
  public static Codec writer() {
    return LZO;
  }
}
