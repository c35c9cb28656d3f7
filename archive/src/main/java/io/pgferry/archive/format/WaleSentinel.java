package io.pgferry.archive.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * WAL-E's {@code base_<SEG>_<OFF>_backup_stop_sentinel.json}: the stop position (segment name and decimal
 * 8-character offset), the sum of tar member sizes, and the tablespace spec. The start position lives only in
 * the backup's name.
 */
public record WaleSentinel(String walSegmentBackupStop, String walSegmentOffsetBackupStop, long expandedSizeBytes,
                           String basePrefix, Map<String, String> tablespaces) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code tablespaces}: oid -> location on the source host. */
  public byte[] toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("wal_segment_backup_stop", walSegmentBackupStop);
    root.put("wal_segment_offset_backup_stop", walSegmentOffsetBackupStop);
    root.put("expanded_size_bytes", expandedSizeBytes);
    ObjectNode spec = root.putObject("spec");
    spec.put("base_prefix", basePrefix);
    ArrayNode oids = spec.putArray("tablespaces");
    tablespaces.forEach((oid, loc) -> {
      oids.add(oid);
      ObjectNode ts = spec.putObject(oid);
      ts.put("loc", loc);
      ts.put("link", "pg_tblspc/" + oid);
    });
    try {
      return JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
