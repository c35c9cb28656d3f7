package io.pgferry.archive.storage;

import io.pgferry.common.UsageException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where an archive lives: {@code file:///abs/path} (also WAL-E's {@code file://localhost/abs/path}) or
 * {@code s3://bucket/prefix}. For drop-in use it can also come from WAL-E's and WAL-G's environment variables.
 *
 * @param directory for FILE
 * @param bucket for S3
 * @param prefix for S3: keys live under {@code prefix/}; "" for the bucket root; never with leading/trailing '/'
 * @param s3 for S3: how to reach it
 */
public record ArchiveLocation(Kind kind, Path directory, String bucket, String prefix, S3Options s3) {
  public enum Kind { FILE, S3 }

  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]");

  public static ArchiveLocation directory(Path dir) {
    if (!dir.isAbsolute()) {
      throw new UsageException("archive directory '" + dir + "' is relative; give an absolute path");
    }
    return new ArchiveLocation(Kind.FILE, dir.normalize(), null, null, null);
  }

  public static ArchiveLocation s3(String bucket, String prefix, S3Options s3) {
    return new ArchiveLocation(Kind.S3, null, bucket, trimSlashes(prefix), s3);
  }

  /** Parses {@code --archive URL}; S3 options come from the agent config (already merged with the environment). */
  public static ArchiveLocation parse(String url, S3Options s3) {
    String where = "archive URL '" + url + "'";
    if (url == null || url.isBlank()) {
      throw new UsageException("archive URL is empty; use file:///path or s3://bucket/prefix");
    }
    if (url.trim().matches("(?i)s3:/*")) {
      throw new UsageException(where + ": no bucket; use s3://bucket/prefix");
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new UsageException(where + " is not a URL (" + e.getReason() + "); use file:///path or s3://bucket/prefix");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    return switch (scheme) {
      case "file" -> parseFile(uri, where);
      case "s3" -> parseS3(uri, where, s3);
      case "" -> throw new UsageException(where + " has no scheme; use file:///absolute/path or s3://bucket/prefix");
      default -> throw new UsageException(where + ": scheme '" + scheme + "' is not supported; use file:///path or "
          + "s3://bucket/prefix (S3-compatible servers: s3:// with an endpoint override)");
    };
  }

  private static ArchiveLocation parseFile(URI uri, String where) {
    if (uri.isOpaque()) {
      throw new UsageException(where + ": a file URL needs an absolute path: file:///var/lib/archive");
    }
    String host = uri.getHost() == null ? uri.getAuthority() : uri.getHost();
    if (host != null && !host.isEmpty() && !host.equals("localhost")) {
      throw new UsageException(where + ": host '" + host + "' in a file URL; use file:///path (three slashes) "
          + "for a local directory");
    }
    String path = uri.getPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      throw new UsageException(where + ": no directory; use file:///var/lib/archive");
    }
    if (uri.getQuery() != null || uri.getFragment() != null) {
      throw new UsageException(where + ": a file URL takes no ?query or #fragment");
    }
    return directory(Path.of(path));
  }

  private static ArchiveLocation parseS3(URI uri, String where, S3Options s3) {
    String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    if (bucket == null || bucket.isEmpty()) {
      throw new UsageException(where + ": no bucket; use s3://bucket/prefix");
    }
    if (uri.getUserInfo() != null) {
      throw new UsageException(where + ": do not put credentials in the URL; use AWS_ACCESS_KEY_ID/"
          + "AWS_SECRET_ACCESS_KEY, the agent config or an instance role");
    }
    if (uri.getPort() != -1 || !BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
      throw new UsageException(where + ": '" + bucket + "' is not a valid bucket name (3-63 characters: lowercase "
          + "letters, digits, '.', '-'); for an S3-compatible server set its endpoint separately");
    }
    if (uri.getQuery() != null || uri.getFragment() != null) {
      throw new UsageException(where + ": an s3 URL takes no ?query or #fragment");
    }
    String prefix = uri.getPath() == null ? "" : uri.getPath();
    return s3(bucket, prefix, s3 == null ? S3Options.DEFAULTS : s3);
  }

  /**
   * The location WAL-E/WAL-G would use with these variables: WALG_S3_PREFIX, else WALE_S3_PREFIX; or
   * WALG_FILE_PREFIX (a plain path or file URL), else WALE_FILE_PREFIX ({@code file://localhost/path}). S3 options
   * are completed from AWS_* and WALE_S3_ENDPOINT (see {@link S3Options#withEnvironment}).
   */
  public static Optional<ArchiveLocation> fromEnvironment(Map<String, String> env, S3Options s3) {
    String s3Prefix = firstSet(env, "WALG_S3_PREFIX", "WALE_S3_PREFIX");
    String filePrefix = firstSet(env, "WALG_FILE_PREFIX", "WALE_FILE_PREFIX");
    if (s3Prefix != null && filePrefix != null) {
      throw new UsageException("environment: both an S3 prefix (" + s3Prefix + ") and a file prefix (" + filePrefix
          + ") are set; unset one of WALG_/WALE_S3_PREFIX and WALG_/WALE_FILE_PREFIX");
    }
    if (s3Prefix != null) {
      if (!s3Prefix.startsWith("s3://")) {
        throw new UsageException("environment: S3 prefix '" + s3Prefix + "' must look like s3://bucket/path");
      }
      return Optional.of(parse(s3Prefix, (s3 == null ? S3Options.DEFAULTS : s3).withEnvironment(env)));
    }
    if (filePrefix != null) {
      return Optional.of(filePrefix.startsWith("file:") ? parse(filePrefix, null) : directory(Path.of(filePrefix)));
    }
    return Optional.empty();
  }

  /**
   * The archive for a command, in this order: {@code flagUrl} (--archive), else the WAL-E/WAL-G variables, else
   * {@code configUrl} (agent.yaml's archive.url). S3 options: {@code configured} (agent.yaml's archive.s3), completed
   * from AWS_* for what it leaves unset.
   */
  public static ArchiveLocation resolve(String flagUrl, String configUrl, S3Options configured,
                                        Map<String, String> env) {
    S3Options s3 = (configured == null ? S3Options.DEFAULTS : configured);
    if (flagUrl != null && !flagUrl.isBlank()) {
      return parse(flagUrl, s3.withEnvironment(env));
    }
    Optional<ArchiveLocation> fromEnv = fromEnvironment(env, s3);
    if (fromEnv.isPresent()) {
      return fromEnv.get();
    }
    if (configUrl != null && !configUrl.isBlank()) {
      return parse(configUrl, s3.withEnvironment(env));
    }
    throw new UsageException("no archive given: pass --archive file:///path or s3://bucket/prefix, set "
        + "WALE_S3_PREFIX/WALG_S3_PREFIX/WALE_FILE_PREFIX/WALG_FILE_PREFIX, or set archive.url in the agent config");
  }

  /** Opens the backend for this location (a directory or a bucket prefix). The caller closes the store. */
  public ObjectStore open() {
    return switch (kind) {
      case FILE -> new DirStore(directory);
      case S3 -> new S3Store(bucket, prefix, s3);
    };
  }

  /** The canonical URL (no credentials), e.g. for logs and Status. */
  public String url() {
    return switch (kind) {
      case FILE -> "file://" + directory;
      case S3 -> "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    };
  }

  @Override
  public String toString() {
    return url();
  }

  private static String firstSet(Map<String, String> env, String... names) {
    for (String n : names) {
      String v = S3Options.env(env, n);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static String trimSlashes(String p) {
    String s = p == null ? "" : p;
    while (s.startsWith("/")) {
      s = s.substring(1);
    }
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }
}
