package io.pgferry.agent.archive;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.agent.archive.storage.DirStore;
import io.pgferry.agent.archive.storage.ObjectStore;
import io.pgferry.common.UsageException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/** Opens the archive's store from a URL, the WAL-E/WAL-G variables, or the agent config (in that order). */
public final class ArchiveStores {
  private ArchiveStores() {}

  /** {@code config}: the agent.yaml tree (may be empty); only archive.* is read. */
  public static ObjectStore open(String url, Map<String, String> env, JsonNode config) {
    String u = url;
    for (String var : new String[] {"WALG_FILE_PREFIX", "WALG_S3_PREFIX", "WALE_FILE_PREFIX", "WALE_S3_PREFIX"}) {
      if (u == null && env.get(var) != null && !env.get(var).isBlank()) {
        u = env.get(var);
        if (var.equals("WALG_FILE_PREFIX") && u.startsWith("/")) {
          u = "file://" + u;
        }
      }
    }
    if (u == null && !config.at("/archive/url").isMissingNode()) {
      u = config.at("/archive/url").asText();
    }
    if (u == null || u.isBlank()) {
      throw new UsageException("archive: no location; pass --archive URL, set WALE_S3_PREFIX/WALE_FILE_PREFIX, or --config with archive.url");
    }
    return open(u);
  }

  /** Opens a resolved location URL (file:///path or s3://bucket/prefix). */
  public static ObjectStore open(String u) {
    URI uri = URI.create(u);
    if ("file".equals(uri.getScheme())) {
      return new DirStore(Path.of(uri.getPath()));
    }
    throw new UsageException("archive " + u + ": scheme " + uri.getScheme() + " is not supported yet; use file:///path");
  }
}
