package io.pgferry.archive.format;

import io.pgferry.archive.codec.Codec;
import io.pgferry.archive.codec.Codecs;
import java.util.Optional;

/** The one place the archive engine chooses codecs: by file extension to read, lzo (WAL-E) to write. */
public final class ArchiveCodecs {
  private ArchiveCodecs() {}

  /** The codec for an object key, chosen by its extension ({@code .lzo}, {@code .lz4}, ...); "none" when no known one. */
  public static Optional<Codec> forKey(String key) {
    String file = key.substring(key.lastIndexOf('/') + 1);
    int dot = file.lastIndexOf('.');
    String ext = dot < 0 ? "" : file.substring(dot);
    if (ext.equals(".tar") || ext.isEmpty() || !ext.matches("\\.[a-z0-9]+")) {
      return Optional.of(Codecs.NONE);
    }
    return Registry.forExtension(ext);
  }

  /** The codec for an extension with its dot ("" = stored as is). */
  public static Optional<Codec> forExtension(String ext) {
    return ext.isEmpty() ? Optional.of(Codecs.NONE) : Registry.forExtension(ext);
  }

  /** WAL-E writes lzop. */
  public static Codec writer() {
    return Registry.forExtension(".lzo").orElseThrow(() -> new IllegalStateException("no lzo codec"));
  }

  /** Bridge to the codec package's registry. */
  static final class Registry {
    static Optional<Codec> forExtension(String ext) {
      try {
        return Optional.of(Codecs.forExtension(ext));
      } catch (io.pgferry.common.UsageException unknown) {
        return Optional.empty();
      }
    }
  }
}
