package io.pgferry.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.S3Options;
import io.pgferry.common.UsageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the archive is, for every archive command: --archive, else WALG_/WALE_ variables, else agent.yaml. */
public final class ArchiveOptions {
  @Option(names = "--archive", paramLabel = "URL",
      description = "Archive location: file:///path or s3://bucket/prefix. Default: WALG_FILE_PREFIX/WALG_S3_PREFIX, "
          + "WALE_FILE_PREFIX/WALE_S3_PREFIX, then archive.url of --config.")
  String archive;

  @Option(names = "--config", paramLabel = "agent.yaml", description = "Agent config: archive.url, archive.s3, state_dir, postgres.os_user.")
  Path config;

  private JsonNode configTree;

  JsonNode config() {
    if (configTree == null) {
      if (config == null) {
        configTree = new ObjectMapper().createObjectNode();
      } else {
        try {
          configTree = new ObjectMapper(new YAMLFactory()).readTree(config.toFile());
        } catch (IOException e) {
          throw new UsageException(config + ": cannot read (" + e.getMessage() + "); pass a readable agent.yaml");
        }
        if (configTree == null) {
          configTree = new ObjectMapper().createObjectNode();
        }
      }
    }
    return configTree;
  }

  String configText(String path, String fallback) {
    JsonNode n = config().at(path);
    return n.isMissingNode() || n.isNull() ? fallback : n.asText();
  }

  /** The archive in the documented order: --archive, else WALG_/WALE_ variables, else agent.yaml's archive.url. */
  ObjectStore open() {
    JsonNode s3 = config().at("/archive/s3");
    S3Options options = s3.isMissingNode() || s3.isNull() ? S3Options.DEFAULTS
        : S3Options.of(s3.path("endpoint").asText(null), s3.path("region").asText(null),
            s3.has("path_style") ? s3.get("path_style").asBoolean() : null);
    return ArchiveLocation.resolve(archive, configText("/archive/url", null), options, System.getenv()).open();
  }

  String osUser() {
    return configText("/postgres/os_user", "postgres");
  }

  Path stateDir() {
    String s = configText("/state_dir", null);
    return s == null ? null : Path.of(s);
  }

  static Map<String, String> env() {
    return System.getenv();
  }
}
