package io.pgferry.archive.storage;

import io.pgferry.common.UsageException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * How to reach S3: region, optional endpoint override with path-style addressing (for S3-compatible servers),
 * credentials (null: the SDK's default chain: env, profile, web identity, container/instance role), multipart
 * upload sizes and the retry policy. Immutable; the {@code with*} methods return changed copies.
 *
 * @param region null: AWS_REGION/AWS_DEFAULT_REGION, else us-east-1 with cross-region bucket lookup
 * @param maxAttempts attempts per request (first try included) on 5xx, throttling and I/O errors
 */
public record S3Options(
    String region,
    URI endpoint,
    boolean pathStyle,
    S3Credentials credentials,
    long multipartThreshold,
    long partSize,
    int uploadConcurrency,
    int maxAttempts,
    Duration retryBaseDelay,
    Duration retryMaxDelay) {

  /** S3 refuses parts smaller than this, except the last one. */
  public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

  public static final S3Options DEFAULTS = new S3Options(null, null, false, null, 16L * 1024 * 1024,
      8L * 1024 * 1024, 4, 10, Duration.ofMillis(100), Duration.ofSeconds(20));

  public S3Options {
    if (region != null && region.isBlank()) {
      region = null;
    }
    if (partSize < MIN_PART_SIZE) {
      throw new UsageException("S3 part size " + partSize + " is below S3's minimum of 5 MiB; raise it");
    }
    if (multipartThreshold < partSize) {
      throw new UsageException("S3 multipart threshold " + multipartThreshold + " is below the part size "
          + partSize + "; make it at least the part size");
    }
    if (uploadConcurrency < 1 || maxAttempts < 1) {
      throw new UsageException("S3 upload concurrency and max attempts must be at least 1");
    }
  }

  /** The defaults with a config's region and endpoint (either may be null or blank: not set). */
  public static S3Options of(String endpoint, String region, Boolean pathStyle) {
    S3Options o = DEFAULTS;
    if (region != null && !region.isBlank()) {
      o = o.withRegion(region);
    }
    if (endpoint != null && !endpoint.isBlank()) {
      o = o.withEndpoint(URI.create(endpoint), Boolean.TRUE.equals(pathStyle));
    }
    return o;
  }

  public S3Options withRegion(String r) {
    return new S3Options(r, endpoint, pathStyle, credentials, multipartThreshold, partSize, uploadConcurrency,
        maxAttempts, retryBaseDelay, retryMaxDelay);
  }

  public S3Options withEndpoint(URI e, boolean pathStyleAddressing) {
    return new S3Options(region, e, pathStyleAddressing, credentials, multipartThreshold, partSize,
        uploadConcurrency, maxAttempts, retryBaseDelay, retryMaxDelay);
  }

  public S3Options withCredentials(S3Credentials c) {
    return new S3Options(region, endpoint, pathStyle, c, multipartThreshold, partSize, uploadConcurrency,
        maxAttempts, retryBaseDelay, retryMaxDelay);
  }

  public S3Options withMultipart(long threshold, long part) {
    return new S3Options(region, endpoint, pathStyle, credentials, threshold, part, uploadConcurrency, maxAttempts,
        retryBaseDelay, retryMaxDelay);
  }

  public S3Options withRetries(int attempts, Duration baseDelay, Duration maxDelay) {
    return new S3Options(region, endpoint, pathStyle, credentials, multipartThreshold, partSize, uploadConcurrency,
        attempts, baseDelay, maxDelay);
  }

  /**
   * Fills what is not set yet from the variables WAL-E and WAL-G read: AWS_REGION (or AWS_DEFAULT_REGION),
   * AWS_ENDPOINT + AWS_S3_FORCE_PATH_STYLE (WAL-G), WALE_S3_ENDPOINT {@code http[s]+path|virtualhost|subdomain://
   * host[:port]} (WAL-E), AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN or WAL-E's
   * AWS_SECURITY_TOKEN). Values already set (from the agent config) win.
   */
  public S3Options withEnvironment(Map<String, String> env) {
    S3Options o = this;
    if (o.region == null) {
      o = o.withRegion(first(env, "AWS_REGION", "AWS_DEFAULT_REGION"));
    }
    if (o.endpoint == null) {
      String walg = env(env, "AWS_ENDPOINT");
      String wale = env(env, "WALE_S3_ENDPOINT");
      if (walg != null) {
        o = o.withEndpoint(endpointUri(walg, "AWS_ENDPOINT"), parseBoolean(env, "AWS_S3_FORCE_PATH_STYLE"));
      } else if (wale != null) {
        o = walEEndpoint(o, wale);
      }
    }
    if (o.credentials == null) {
      String id = env(env, "AWS_ACCESS_KEY_ID");
      String secret = env(env, "AWS_SECRET_ACCESS_KEY");
      if (id != null && secret != null) {
        o = o.withCredentials(new S3Credentials(id, secret, first(env, "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")));
      } else if (id != null || secret != null) {
        throw new UsageException("environment: only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; "
            + "set both, or neither to use the default credentials chain (profile, instance role)");
      }
    }
    return o;
  }

  /** WAL-E's form: {@code https+path://host:port}; the convention after '+' says how buckets are addressed. */
  private static S3Options walEEndpoint(S3Options o, String value) {
    int plus = value.indexOf('+');
    int colon = value.indexOf("://");
    if (plus < 0 || colon < plus) {
      throw new UsageException("WALE_S3_ENDPOINT '" + value + "': expected http[s]+path|virtualhost|subdomain://"
          + "host[:port], e.g. https+path://s3.example.com:443");
    }
    String scheme = value.substring(0, plus);
    String convention = value.substring(plus + 1, colon).toLowerCase(Locale.ROOT);
    boolean path = switch (convention) {
      case "path" -> true;
      case "virtualhost", "subdomain" -> false;
      default -> throw new UsageException("WALE_S3_ENDPOINT '" + value + "': calling convention '" + convention
          + "' unknown; use path, virtualhost or subdomain");
    };
    return o.withEndpoint(endpointUri(scheme + value.substring(colon), "WALE_S3_ENDPOINT"), path);
  }

  static URI endpointUri(String value, String where) {
    URI uri;
    try {
      uri = URI.create(value.trim());
    } catch (IllegalArgumentException e) {
      throw new UsageException(where + " '" + value + "' is not a URL; use e.g. http://127.0.0.1:9000");
    }
    if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
      throw new UsageException(where + " '" + value + "': expected http://host[:port] or https://host[:port]");
    }
    return uri;
  }

  private static boolean parseBoolean(Map<String, String> env, String name) {
    String v = env(env, name);
    if (v == null) {
      return false;
    }
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new UsageException(name + "='" + v + "': expected true or false");
    };
  }

  private static String first(Map<String, String> env, String... names) {
    for (String n : names) {
      String v = env(env, n);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  static String env(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }
}
