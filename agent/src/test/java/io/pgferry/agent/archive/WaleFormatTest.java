package io.pgferry.agent.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.agent.archive.backup.BackupFetch;
import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.agent.archive.backup.Progress;
import io.pgferry.archive.codec.LzoCodec;
import io.pgferry.archive.format.BackupCatalog;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import io.pgferry.common.Command;
import io.pgferry.common.UsageException;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Our WAL-E output checked field by field against WAL-E's own rules (wal_e/storage/base.py regexes,
 * operator/backup.py sentinel, worker/pg/psql_worker.py offsets), and read back with Debian's lzop and GNU tar.
 */
class WaleFormatTest {
  // wal_e/storage/base.py
  static final String SEGMENT_REGEXP = "(?<filename>(?<tli>[0-9A-F]{8})(?<log>[0-9A-F]{8})(?<seg>[0-9A-F]{8}))";
  static final Pattern BASE_BACKUP = Pattern.compile("base_" + SEGMENT_REGEXP + "_(?<offset>[0-9A-F]{8})");
  static final Pattern COMPLETE_BASE_BACKUP = Pattern.compile("base_" + SEGMENT_REGEXP + "_(?<offset>[0-9A-F]{8})_backup_stop_sentinel\\.json");
  static final Pattern VOLUME = Pattern.compile("part_(\\d+)\\.tar\\.lzo");

  @Test
  void backupPushWritesWhatWaleReads() throws Exception {
    try (Workspace ws = Workspace.create("wale-format"); PgCluster pg = PgCluster.start(ws, "src", 15)) {
      pg.execute("CREATE TABLE t AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
      Path archive = ws.dir("archive");
      DirStore store = new DirStore(archive);
      BackupPush.Result r;
      try (Connection c = pg.connect()) {
        r = new BackupPush(store, new LzoCodec(), 4L << 20, 2).push(c, pg.dataDir());
      }
      List<String> keys = store.list("").stream().map(StoredObject::key).toList();

      // names
      Matcher name = BASE_BACKUP.matcher(r.name());
      assertTrue(name.matches(), r.name());
      assertTrue(keys.contains("basebackups_005/" + r.name() + "_backup_stop_sentinel.json"));
      assertTrue(COMPLETE_BASE_BACKUP.matcher(r.name() + "_backup_stop_sentinel.json").matches());
      assertTrue(keys.contains("basebackups_005/" + r.name() + "/extended_version.txt"));
      List<String> parts = keys.stream().filter(k -> k.startsWith("basebackups_005/" + r.name() + "/tar_partitions/")).toList();
      assertTrue(parts.size() >= 3, "bounded partitions: " + parts);
      for (int i = 0; i < parts.size(); i++) {
        String file = parts.get(i).substring(parts.get(i).lastIndexOf('/') + 1);
        assertTrue(VOLUME.matcher(file).matches(), file);
        assertEquals(String.format("part_%08d.tar.lzo", i), file, "numbered from part_00000000 without gaps");
      }
      // start position: the name's segment and decimal offset equal pg_walfile_name_offset of the backup's start LSN
      Path restored = ws.root().resolve("restored");
      new BackupFetch(store, 2, Progress.NONE, Workspace.PG_USER).fetch(restored, "LATEST", Map.of());
      String label = Files.readString(restored.resolve("backup_label"));
      Matcher start = Pattern.compile("START WAL LOCATION: (\\S+) \\(file ([0-9A-F]{24})\\)").matcher(label);
      assertTrue(start.find(), label);
      String nameOffset = pg.queryValue("SELECT file_name || ' ' || lpad(file_offset::text, 8, '0') FROM pg_walfile_name_offset('" + start.group(1) + "')");
      assertEquals(nameOffset, name.group("filename") + " " + name.group("offset"));
      assertEquals(start.group(2), name.group("filename"));

      // sentinel fields (operator/backup.py + spec)
      JsonNode s = new ObjectMapper().readTree(archive.resolve("basebackups_005/" + r.name() + "_backup_stop_sentinel.json").toFile());
      assertTrue(s.get("wal_segment_backup_stop").asText().matches("[0-9A-F]{24}"));
      assertTrue(s.get("wal_segment_offset_backup_stop").asText().matches("\\d{8}"), "decimal, 8 characters");
      assertTrue(s.get("expanded_size_bytes").isIntegralNumber());
      assertTrue(s.get("spec").get("tablespaces").isArray());
      assertTrue(s.get("spec").has("base_prefix"));
      assertEquals(r.stopSegment(), s.get("wal_segment_backup_stop").asText());
      assertEquals(pg.queryValue("SELECT version()"), Files.readString(archive.resolve("basebackups_005/" + r.name() + "/extended_version.txt")));

      // the real lzop and GNU tar read every partition; member names are relative; WAL-E's exclusions hold
      long expanded = 0;
      List<String> members = new ArrayList<>();
      for (String p : parts) {
        Path tar = ws.root().resolve("p.tar");
        Command.of("sh", "-c", "lzop -d -c '" + archive.resolve(p) + "' > '" + tar + "'").runChecked();
        for (String line : Command.of("tar", "-tvf", tar.toString()).runChecked().stdout().split("\n")) {
          String[] f = line.trim().split("\\s+");
          String member = f[f.length - 1];
          members.add(member);
          if (line.startsWith("-")) {
            expanded += p.endsWith("part_00000000.tar.lzo") ? 0 : Long.parseLong(f[2]);
          }
        }
      }
      assertEquals(s.get("expanded_size_bytes").asLong(), expanded, "expanded_size_bytes = sum of data member sizes");
      assertTrue(members.stream().noneMatch(m -> m.startsWith("/")), "relative names");
      assertTrue(members.contains("backup_label"));
      assertTrue(members.contains("pg_wal/"), "pg_wal kept as an empty directory");
      assertTrue(members.stream().noneMatch(m -> m.startsWith("pg_wal/0")), "no WAL in the base backup");
      for (String excluded : List.of("postmaster.pid", "postmaster.opts", "postgresql.conf", "pg_hba.conf", "pg_ident.conf")) {
        assertFalse(members.contains(excluded), excluded + " is left out, as WAL-E does");
      }
      assertTrue(members.contains("global/pg_control"));

      // restore side: a complete data dir, pg_wal empty, owned by postgres
      assertTrue(Files.isDirectory(restored.resolve("pg_wal/archive_status")));
      assertEquals("postgres", Files.getOwner(restored.resolve("global/pg_control")).getName());
      assertEquals("15", Files.readString(restored.resolve("PG_VERSION")).trim());

      // bad input
      UsageException missing = assertThrows(UsageException.class, () -> new BackupCatalog(store).resolve("base_000000010000000000000099_00000040"));
      assertTrue(missing.getMessage().contains(r.name()), "lists available backups: " + missing.getMessage());
      UsageException nonEmpty = assertThrows(UsageException.class,
          () -> new BackupFetch(store, 2, Progress.NONE, Workspace.PG_USER).fetch(restored, "LATEST", Map.of()));
      assertTrue(nonEmpty.getMessage().contains("not empty"), nonEmpty.getMessage());
    }
  }
}
