package io.pgferry.agent.archive;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStores;
import io.pgferry.archive.storage.S3Options;
import java.net.URI;
import java.util.Map;

/**
 * Opens the archive's store for a command: --archive URL, else the config's archive.url, else the WAL-E/WAL-G
 * variables; S3 settings from the config's archive.s3, completed from AWS_* variables.
 */
public final class ArchiveStores {
  private ArchiveStores() {}

  /** {@code config}: the agent.yaml tree (may be empty); only archive.* is read. */
  public static ObjectStore open(String url, Map<String, String> env, JsonNode config) {
    String u = url;
    if ((u == null || u.isBlank()) && !config.at("/archive/url").isMissingNode() && !config.at("/archive/url").isNull()) {
      u = config.at("/archive/url").asText();
    }
    return ObjectStores.open(ArchiveLocation.resolve(u, s3Options(config.at("/archive/s3")), env));
  }

  /** A resolved URL with the agent's S3 settings (and AWS_* for what they leave unset). */
  public static ObjectStore open(String url, S3Options s3) {
    return ObjectStores.open(ArchiveLocation.resolve(url, s3, System.getenv()));
  }

  public static S3Options s3Options(String endpoint, String region, Boolean pathStyle) {
    S3Options o = S3Options.DEFAULTS;
    if (region != null && !region.isBlank()) {
      o = o.withRegion(region);
    }
    if (endpoint != null && !endpoint.isBlank()) {
      o = o.withEndpoint(URI.create(endpoint), Boolean.TRUE.equals(pathStyle));
    }
    return o;
  }

  private static S3Options s3Options(JsonNode s3) {
    if (s3.isMissingNode() || s3.isNull()) {
      return S3Options.DEFAULTS;
    }
    return s3Options(s3.path("endpoint").asText(null), s3.path("region").asText(null),
        s3.has("path_style") ? s3.get("path_style").asBoolean() : null);
  }
}
