package io.pgferry.agent.archive.replica;

import io.pgferry.common.AtomicFiles;
import io.pgferry.common.pg.SqlQuote;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A sane postgresql.conf / pg_hba.conf / pg_ident.conf for this host, for a data dir restored from a backup that
 * carries none (WAL-E leaves them out; a Heroku one would carry Heroku's anyway). Sized to the machine, ready to be a
 * hot standby and later a primary feeding logical replication. Files that exist are left alone.
 */
public final class ServerConfig {
  private static final Logger LOG = Logger.getLogger(ServerConfig.class.getName());

  private ServerConfig() {}

  /** Settings chosen for a machine with {@code memoryBytes} of RAM and {@code cpus} cores; {@code overrides} win. */
  public static Map<String, String> choose(long memoryBytes, int cpus, int port, String listenAddresses, Map<String, String> overrides) {
    long mib = memoryBytes >> 20;
    Map<String, String> s = new LinkedHashMap<>();
    s.put("listen_addresses", quote(listenAddresses));
    s.put("port", String.valueOf(port));
    s.put("max_connections", "200");
    s.put("shared_buffers", Math.max(128, mib / 4) + "MB");
    s.put("effective_cache_size", Math.max(256, mib * 3 / 4) + "MB");
    s.put("maintenance_work_mem", Math.min(2048, Math.max(64, mib / 16)) + "MB");
    s.put("work_mem", Math.max(4, mib / 4 / 200) + "MB");
    s.put("max_worker_processes", String.valueOf(Math.max(8, cpus)));
    s.put("max_parallel_workers", String.valueOf(Math.max(2, cpus)));
    s.put("wal_level", "logical");
    s.put("hot_standby", "on");
    s.put("hot_standby_feedback", "on");
    s.put("max_wal_senders", "10");
    s.put("max_replication_slots", "10");
    s.put("max_wal_size", "4GB");
    s.put("checkpoint_timeout", "15min");
    s.put("logging_collector", "off");
    s.put("log_line_prefix", quote("%m [%p] "));
    s.putAll(overrides);
    return s;
  }

  static String quote(String v) {
    return SqlQuote.literal(v);
  }

  /** Writes the three files when absent; returns true when postgresql.conf was written (and logs the choice). */
  public static boolean writeIfAbsent(Path dataDir, Map<String, String> settings) throws IOException {
    boolean wrote = false;
    Path conf = dataDir.resolve("postgresql.conf");
    if (!Files.exists(conf)) {
      StringBuilder sb = new StringBuilder("# Written by pgferry-agent for this host (the base backup carried none).\n");
      settings.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
      write(conf, sb.toString());
      LOG.info("wrote " + conf + ": " + settings);
      wrote = true;
    }
    Path hba = dataDir.resolve("pg_hba.conf");
    if (!Files.exists(hba)) {
      // before 14 password_encryption defaults to md5, so the backup's roles hold md5 verifiers that a
      // scram-sha-256 line refuses; an md5 line accepts both (SCRAM where the verifier is SCRAM)
      String method = majorVersion(dataDir) < 14 ? "md5" : "scram-sha-256";
      // no network-wide entry: the hosts that may connect (B, the target, the app, the controller) come from the
      // goal as hostssl entries for their addresses only, in the managed block above these lines
      write(hba, """
          # Written by pgferry-agent. Local socket: peer; loopback: %1$s; other hosts: only pgferry's managed entries.
          local   all             all                                     peer
          host    all             all             127.0.0.1/32            %1$s
          host    all             all             ::1/128                 %1$s
          local   replication     all                                     peer
          """.formatted(method));
    }
    Path ident = dataDir.resolve("pg_ident.conf");
    if (!Files.exists(ident)) {
      write(ident, "# Written by pgferry-agent: no user name maps.\n");
    }
    return wrote;
  }

  /** PG_VERSION of the data dir (11, 15, ...); 0 when unreadable. */
  static int majorVersion(Path dataDir) {
    try {
      return Integer.parseInt(Files.readString(dataDir.resolve("PG_VERSION")).trim());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  /** Appends lines to pg_hba.conf (tests trust loopback). */
  public static void appendHba(Path dataDir, String lines) throws IOException {
    Files.writeString(dataDir.resolve("pg_hba.conf"), lines, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  private static void write(Path file, String text) throws IOException {
    AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8), PosixFilePermissions.fromString("rw-------"));
  }
}
