package io.pgferry.agent.archive.replica;

import io.pgferry.common.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recovery settings of an archive replica: restore_command = pgferry's wal-fetch, follow the latest timeline,
 * stay a standby. PG <= 11: recovery.conf; PG >= 12: standby.signal plus the settings in a file postgresql.conf
 * includes ({@code pgferry.recovery.conf}), so re-running replaces them instead of appending.
 */
public final class ArchiveRecoveryConfig {
  public static final String INCLUDE_FILE = "pgferry.recovery.conf";

  private ArchiveRecoveryConfig() {}

  /** The restore_command line for a launcher (bin/pgferry-agent or {@code java -jar ...}). */
  public static String restoreCommand(String launcher, String archiveUrl, Path stateDir) {
    return launcher + " wal-fetch --archive " + archiveUrl + (stateDir == null ? "" : " --state-dir " + stateDir) + " %f %p";
  }

  public static void write(Path dataDir, int major, String restoreCommand, Map<String, String> extra) throws IOException {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("restore_command", ServerConfig.quote(restoreCommand));
    s.put("recovery_target_timeline", "'latest'");
    s.putAll(extra);
    StringBuilder sb = new StringBuilder("# Written by pgferry-agent: archive replica recovery settings.\n");
    if (major <= 11) {
      sb.append("standby_mode = 'on'\n");
    }
    s.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
    byte[] text = sb.toString().getBytes(StandardCharsets.UTF_8);
    if (major <= 11) {
      AtomicFiles.write(dataDir.resolve("recovery.conf"), text, PosixFilePermissions.fromString("rw-------"));
      return;
    }
    AtomicFiles.write(dataDir.resolve(INCLUDE_FILE), text, PosixFilePermissions.fromString("rw-------"));
    Path conf = dataDir.resolve("postgresql.conf");
    String include = "include_if_exists = '" + INCLUDE_FILE + "'";
    String current = Files.exists(conf) ? Files.readString(conf) : "";
    if (!current.contains(include)) {
      Files.writeString(conf, current + (current.endsWith("\n") || current.isEmpty() ? "" : "\n") + include + "\n");
    }
    if (!Files.exists(dataDir.resolve("standby.signal"))) {
      AtomicFiles.write(dataDir.resolve("standby.signal"), new byte[0], PosixFilePermissions.fromString("rw-------"));
    }
  }
}
