package io.pgferry.agent.archive;

import static io.pgferry.agent.archive.ArchiveRoundTripIT.checksums;
import static io.pgferry.agent.archive.ArchiveRoundTripIT.tail;
import static io.pgferry.agent.archive.ArchiveRoundTripIT.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.agent.archive.backup.Progress;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.BackupCatalog;
import io.pgferry.archive.format.ArchiveFormat;
import io.pgferry.archive.format.BackupInfo;
import io.pgferry.archive.format.WalNames;
import io.pgferry.agent.archive.replica.AgentLauncher;
import io.pgferry.agent.archive.replica.ArchiveReplicaBuilder;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A source with a tablespace, archived by our code, re-packed by this test into WAL-G's layout (lz4 partitions
 * part_001.., pg_control.tar and backup_label.tar last, member names with a leading '/', WAL-G's sentinel, lz4 WAL):
 * backup-fetch LATEST (the CLI, remapping the tablespace) restores it, PostgreSQL honours tablespace_map, and the
 * replica replays the WAL-G WAL to the source's data, tablespace included.
 */
class WalgTablespaceIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void walgLayoutBackupWithATablespaceRestores() throws Exception {
    PgBinaries pg15 = PgBinaries.forMajor(15);
    try (Workspace ws = Workspace.create("walg-ts")) {
      Path ours = ws.dir("archive-wale");
      Path walg = ws.dir("archive-walg");
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("archive_mode", "on");
      settings.put("archive_command", "'" + Launchers.agentCommandLine() + " wal-push --archive file://" + ours + " %p'");
      try (PgCluster source = PgCluster.init(ws, "source", pg15, settings).start()) {
        Path tsDir = ws.dir("ts1");
        source.execute("CREATE EXTENSION hstore",
            "CREATE TABLESPACE ts1 LOCATION '" + tsDir + "'",
            "CREATE TABLE kv (id bigserial PRIMARY KEY, attrs hstore NOT NULL) TABLESPACE ts1",
            "CREATE INDEX kv_attrs ON kv USING gist (attrs) TABLESPACE ts1",
            "INSERT INTO kv (attrs) SELECT hstore(ARRAY['k', g::text, 'half', (g/2)::text]) FROM generate_series(1, 3000) g",
            "CREATE TABLE plain (id int PRIMARY KEY, v text)",
            "INSERT INTO plain SELECT g, md5(g::text) FROM generate_series(1, 3000) g");
        String oid = source.queryValue("SELECT oid FROM pg_tablespace WHERE spcname = 'ts1'");
        BackupPush.Result pushed;
        try (ObjectStore store = new DirStore(ours); Connection c = source.connect()) {
          pushed = new BackupPush(store, Codecs.writer(), 8L << 20, 2).push(c, source.dataDir());
        }
        source.execute("INSERT INTO kv (attrs) SELECT hstore('after', g::text) FROM generate_series(1, 700) g",
            "UPDATE plain SET v = v || '!' WHERE id % 7 = 0");
        Map<String, String> expected = checksums(source);
        String last = source.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())");
        source.queryValue("SELECT pg_switch_wal()");
        ArchiveReplicaAgentIT.awaitArchived(source, last);

        String walgName;
        try (ObjectStore from = new DirStore(ours); ObjectStore to = new DirStore(walg)) {
          walgName = repackAsWalg(from, to, pushed.name(), ws.dir("repack"));
          BackupInfo info = new BackupCatalog(to).resolve(BackupCatalog.LATEST);
          assertEquals(walgName, info.name());
          assertEquals(ArchiveFormat.WALG, info.format());
          assertEquals(tsDir.toString(), info.tablespaces().get(oid));
        }

        Path dataDir = ws.root().resolve("replica");
        Path tsRestored = ws.root().resolve("ts1-restored");
        AgentCli.Result fetch = AgentCli.run(Map.of(), "backup-fetch", "--archive", "file://" + walg, "--os-user", Workspace.PG_USER,
            "--tablespace", oid + "=" + tsRestored, dataDir.toString(), "LATEST");
        assertEquals(0, fetch.exit(), fetch.toString());
        assertTrue(Files.readString(dataDir.resolve("tablespace_map")).contains(oid + " " + tsRestored), "tablespace_map remapped");
        assertTrue(Files.exists(dataDir.resolve("backup_label")), "backup_label.tar restored");
        // PostgreSQL must recreate the link from tablespace_map itself
        Files.delete(dataDir.resolve("pg_tblspc").resolve(oid));

        int port = FreePorts.next();
        Map<String, String> overrides = new LinkedHashMap<>(PgCluster.testDefaults());
        overrides.put("unix_socket_directories", "'" + ws.dir("sock") + "'");
        String restore = AgentLauncher.restoreCommand(Launchers.agentCommandLine(), "file://" + walg, null);
        try (ObjectStore store = new DirStore(walg)) {
          ArchiveReplicaBuilder.prepare(store, new ArchiveReplicaBuilder.Options(dataDir, 15, port, "127.0.0.1", overrides,
              restore, Workspace.PG_USER, 4), Progress.NONE);
        }
        ArchiveRoundTripIT.trustLoopback(dataDir);
        try (PgCluster replica = PgCluster.adopt("replica", pg15, dataDir, port)) {
          replica.start();
          waitFor(Duration.ofSeconds(120), () -> checksums(replica).equals(expected),
              () -> "replica did not reach the source's data; log:\n" + tail(replica.log()));
          assertEquals(tsRestored, Files.readSymbolicLink(dataDir.resolve("pg_tblspc").resolve(oid)));
          assertEquals(tsRestored.toString(), replica.queryValue("SELECT pg_tablespace_location(" + oid + ")"));
          assertEquals("ts1", replica.queryValue("SELECT t.spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE c.relname = 'kv'"));
          assertFalse(Files.exists(dataDir.resolve("tablespace_map")), "PostgreSQL consumed tablespace_map");
          assertTrue(expected.get("kv").startsWith("3700 "), expected.toString());
          try (var files = Files.walk(tsRestored)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().matches("\\d+") && Files.isRegularFile(p)), "relation files in the tablespace");
          }
        }
      }
    }
  }

  /**
   * Writes backup {@code name} of a WAL-E-layout archive into {@code to} the way WAL-G lays it out, and every WAL
   * file as WAL-G's default {@code .lz4}. Returns the WAL-G backup name ({@code base_<start segment>}).
   */
  static String repackAsWalg(ObjectStore from, ObjectStore to, String name, Path scratch) throws IOException {
    JsonNode wale = JSON.readTree(from.get(ArchiveLayout.sentinelKey(name)));
    String start = ArchiveLayout.startSegment(name);
    String walgName = "base_" + start;
    String prefix = ArchiveLayout.partitionsPrefix(walgName);
    Path dataTar = scratch.resolve("data.tar");
    Path controlTar = scratch.resolve("control.tar");
    Path labelTar = scratch.resolve("label.tar");
    long uncompressed = 0;
    String label = null;
    int part = 1;
    BackupCatalog catalog = new BackupCatalog(from);
    for (StoredObject p : catalog.partitions(catalog.resolve(name))) {
      try (InputStream in = Codecs.forKey(p.key()).orElseThrow().decompress(from.get(p.key()));
           TarArchiveInputStream tar = new TarArchiveInputStream(in);
           TarArchiveOutputStream data = tarOut(dataTar);
           TarArchiveOutputStream control = tarOut(controlTar);
           TarArchiveOutputStream labels = tarOut(labelTar)) {
        boolean anyControl = false;
        boolean anyLabel = false;
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
          byte[] content = e.isFile() ? tar.readAllBytes() : new byte[0];
          uncompressed += content.length;
          String member = e.getName();
          TarArchiveOutputStream target = data;
          if (member.equals("backup_label") || member.equals("tablespace_map")) {
            target = labels; // WAL-G: these two keep their bare names
            anyLabel = true;
            if (member.equals("backup_label")) {
              label = new String(content, StandardCharsets.UTF_8);
            }
          } else {
            member = "/" + member;
            if (member.equals("/global/pg_control")) {
              target = control;
              anyControl = true;
            }
          }
          TarArchiveEntry copy = e.isSymbolicLink() ? new TarArchiveEntry(member, TarArchiveEntry.LF_SYMLINK) : new TarArchiveEntry(member);
          if (e.isSymbolicLink()) {
            copy.setLinkName(e.getLinkName());
          }
          if (e.isDirectory() && !member.endsWith("/")) {
            copy = new TarArchiveEntry(member + "/");
          }
          copy.setMode(e.getMode());
          copy.setModTime(e.getModTime());
          copy.setSize(content.length);
          target.putArchiveEntry(copy);
          target.write(content);
          target.closeArchiveEntry();
        }
        data.finish();
        control.finish();
        labels.finish();
        if (dataNonEmpty(dataTar)) {
          putLz4(to, prefix + String.format("part_%03d.tar.lz4", part++), dataTar);
        }
        if (anyControl) {
          putLz4(to, prefix + "pg_control.tar.lz4", controlTar);
        }
        if (anyLabel) {
          putLz4(to, prefix + "backup_label.tar.lz4", labelTar);
        }
      }
    }
    Matcher m = Pattern.compile("START WAL LOCATION: ([0-9A-F]+)/([0-9A-F]+)").matcher(label == null ? "" : label);
    if (!m.find()) {
      throw new IOException("no backup_label in " + name);
    }
    long startLsn = (Long.parseLong(m.group(1), 16) << 32) | Long.parseLong(m.group(2), 16);
    String stopSeg = wale.get("wal_segment_backup_stop").asText();
    long finishLsn = WalNames.segmentNumber(stopSeg, WalNames.DEFAULT_SEGMENT_SIZE) * WalNames.DEFAULT_SEGMENT_SIZE
        + Long.parseLong(wale.get("wal_segment_offset_backup_stop").asText());

    ObjectNode spec = JSON.createObjectNode();
    spec.put("base_prefix", wale.path("spec").path("base_prefix").asText(""));
    spec.set("tablespaces", wale.path("spec").path("tablespaces"));
    wale.path("spec").fields().forEachRemaining(f -> {
      if (f.getKey().matches("\\d+")) {
        spec.set(f.getKey(), f.getValue());
      }
    });
    ObjectNode sentinel = JSON.createObjectNode();
    sentinel.put("LSN", startLsn);
    sentinel.put("FinishLSN", finishLsn);
    sentinel.put("PgVersion", 150000);
    sentinel.put("SystemIdentifier", 0);
    sentinel.put("UncompressedSize", uncompressed);
    sentinel.put("CompressedSize", 0);
    sentinel.set("Spec", spec);
    sentinel.putNull("UserData");
    sentinel.put("DeltaLSN", 0);
    sentinel.put("DeltaFrom", "");
    sentinel.put("DeltaFullName", "");
    sentinel.put("DeltaCount", 0);
    sentinel.put("Version", 2);
    sentinel.put("StartTime", "2026-01-01T00:00:00Z");
    sentinel.put("FinishTime", "2026-01-01T00:01:00Z");
    sentinel.put("Hostname", "walg-test");
    sentinel.put("DataDir", "/var/lib/postgresql/15/main");
    sentinel.put("IsPermanent", false);
    putBytes(to, ArchiveLayout.backupDir(walgName) + "metadata.json", JSON.writeValueAsBytes(sentinel));
    putBytes(to, ArchiveLayout.sentinelKey(walgName), JSON.writeValueAsBytes(sentinel)); // written last, as WAL-G does

    for (StoredObject w : from.list(ArchiveLayout.WAL)) {
      String file = w.key().substring(ArchiveLayout.WAL.length());
      String bare = file.endsWith(".lzo") ? file.substring(0, file.length() - 4) : file;
      Path plain = scratch.resolve("wal");
      try (InputStream in = Codecs.forKey(w.key()).orElseThrow().decompress(from.get(w.key()))) {
        Files.copy(in, plain, StandardCopyOption.REPLACE_EXISTING);
      }
      putLz4(to, ArchiveLayout.WAL + bare + ".lz4", plain);
    }
    return walgName;
  }

  private static TarArchiveOutputStream tarOut(Path file) throws IOException {
    TarArchiveOutputStream t = new TarArchiveOutputStream(Files.newOutputStream(file));
    t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    return t;
  }

  private static boolean dataNonEmpty(Path tar) throws IOException {
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      return in.getNextEntry() != null;
    }
  }

  private static void putLz4(ObjectStore to, String key, Path plain) throws IOException {
    Path compressed = plain.resolveSibling(plain.getFileName() + ".lz4");
    try (InputStream in = Files.newInputStream(plain); OutputStream out = Codecs.LZ4.compress(Files.newOutputStream(compressed))) {
      in.transferTo(out);
    }
    try (InputStream in = Files.newInputStream(compressed)) {
      to.put(key, in, Files.size(compressed));
    }
  }

  private static void putBytes(ObjectStore to, String key, byte[] bytes) throws IOException {
    to.put(key, new ByteArrayInputStream(bytes), bytes.length);
  }
}
