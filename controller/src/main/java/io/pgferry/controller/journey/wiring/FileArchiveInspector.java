package io.pgferry.controller.journey.wiring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.controller.journey.ArchiveInspector;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads a file:// archive's newest backup sentinel (WAL-E {@code expanded_size_bytes}; WAL-G
 * {@code UncompressedSize} and {@code PgVersion}). Other schemes are read by the agent (it reports errors during
 * ARCHIVE_REPLICA), so for them this answers {@link UnsupportedOperationException}.
 */
public final class FileArchiveInspector implements ArchiveInspector {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SENTINEL = "_backup_stop_sentinel.json";

  @Override
  public Optional<Backup> latestBackup(String archiveUrl) throws IOException {
    URI uri = URI.create(archiveUrl);
    if (!"file".equals(uri.getScheme())) {
      throw new UnsupportedOperationException("only file:// archives are read from the controller");
    }
    Path dir = Path.of(uri.getPath()).resolve("basebackups_005");
    if (!Files.isDirectory(dir)) {
      if (!Files.isDirectory(Path.of(uri.getPath()))) {
        throw new IOException("no such directory: " + uri.getPath());
      }
      return Optional.empty();
    }
    Optional<Path> newest;
    try (Stream<Path> files = Files.list(dir)) {
      newest = files.filter(f -> f.getFileName().toString().endsWith(SENTINEL))
          .max(Comparator.comparing(FileArchiveInspector::modified));
    }
    if (newest.isEmpty()) {
      return Optional.empty();
    }
    JsonNode s = JSON.readTree(newest.get().toFile());
    String name = newest.get().getFileName().toString().replace(SENTINEL, "");
    long expanded = s.has("expanded_size_bytes") ? s.get("expanded_size_bytes").asLong()
        : s.path("UncompressedSize").asLong(0);
    int pgVersion = s.path("PgVersion").asInt(0);
    return Optional.of(new Backup(name, expanded, pgVersion >= 100000 ? pgVersion / 10000 : 0, modified(newest.get())));
  }

  private static Instant modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }
}
