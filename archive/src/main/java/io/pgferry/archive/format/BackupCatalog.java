package io.pgferry.archive.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.archive.storage.NoSuchObjectException;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import io.pgferry.common.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The complete base backups of an archive, WAL-E and WAL-G alike: a backup exists once its sentinel does.
 * LATEST is the sentinel with the newest storage modification time, as both tools decide it.
 */
public final class BackupCatalog {
  public static final String LATEST = "LATEST";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ObjectStore store;

  public BackupCatalog(ObjectStore store) {
    this.store = store;
  }

  /** Sentinels only, oldest first (no sentinel reads). */
  public List<StoredObject> sentinels() throws IOException {
    List<StoredObject> out = new ArrayList<>();
    for (StoredObject o : store.list(ArchiveLayout.BASEBACKUPS)) {
      if (ArchiveLayout.nameOfSentinel(o.key()) != null) {
        out.add(o);
      }
    }
    out.sort(Comparator.comparing(StoredObject::lastModified).thenComparing(StoredObject::key));
    return out;
  }

  /** Every complete backup with its sentinel's details, oldest first. */
  public List<BackupInfo> list() throws IOException {
    List<BackupInfo> out = new ArrayList<>();
    for (StoredObject s : sentinels()) {
      out.add(read(s));
    }
    return out;
  }

  /** {@code NAME} or {@code LATEST}; an unknown name is a UsageException that lists what exists. */
  public BackupInfo resolve(String nameOrLatest) throws IOException {
    List<StoredObject> sentinels = sentinels();
    Optional<StoredObject> hit = LATEST.equalsIgnoreCase(nameOrLatest)
        ? (sentinels.isEmpty() ? Optional.empty() : Optional.of(sentinels.get(sentinels.size() - 1)))
        : sentinels.stream().filter(s -> nameOrLatest.equals(ArchiveLayout.nameOfSentinel(s.key()))).findFirst();
    if (hit.isEmpty()) {
      String available = sentinels.isEmpty() ? "none"
          : sentinels.stream().map(s -> ArchiveLayout.nameOfSentinel(s.key())).collect(Collectors.joining(", "));
      throw new UsageException("backup " + nameOrLatest + ": not in " + store.describe() + "; available backups: "
          + available + "; pass one of them or LATEST");
    }
    return read(hit.get());
  }

  /** Partition objects of a backup, in key order. */
  public List<StoredObject> partitions(BackupInfo backup) throws IOException {
    List<StoredObject> parts = new ArrayList<>();
    for (StoredObject o : store.list(ArchiveLayout.partitionsPrefix(backup.name()))) {
      String file = o.key().substring(o.key().lastIndexOf('/') + 1);
      if (file.contains(".tar")) {
        parts.add(o);
      }
    }
    return parts;
  }

  private BackupInfo read(StoredObject sentinel) throws IOException {
    String name = ArchiveLayout.nameOfSentinel(sentinel.key());
    JsonNode json;
    try (InputStream in = store.get(sentinel.key())) {
      json = JSON.readTree(in);
    } catch (NoSuchObjectException e) {
      throw new IOException("sentinel of " + name + " vanished while reading the catalog (deleted concurrently?)", e);
    }
    String start = ArchiveLayout.startSegment(name);
    if (json.has("wal_segment_backup_stop")) {
      return new BackupInfo(name, ArchiveFormat.WALE, sentinel.lastModified(), start,
          json.path("wal_segment_backup_stop").asText(null), json.path("expanded_size_bytes").asLong(-1),
          tablespaces(json.path("spec")), 0);
    }
    String stop = null;
    if (json.has("FinishLSN") && start != null) {
      long finish = json.get("FinishLSN").asLong();
      stop = WalNames.fileNameForLsn(WalNames.timeline(start), finish, WalNames.DEFAULT_SEGMENT_SIZE);
    }
    return new BackupInfo(name, ArchiveFormat.WALG, sentinel.lastModified(), start, stop,
        json.path("UncompressedSize").asLong(-1), tablespaces(json.path("Spec")), json.path("PgVersion").asInt(0));
  }

  /** WAL-E's spec (WAL-G's Spec has the same shape): {"tablespaces":[oid..], "<oid>":{"loc":..,"link":..}}. */
  private static Map<String, String> tablespaces(JsonNode spec) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode oid : spec.path("tablespaces")) {
      String loc = spec.path(oid.asText()).path("loc").asText(null);
      if (loc != null) {
        out.put(oid.asText(), loc);
      }
    }
    return out;
  }
}
