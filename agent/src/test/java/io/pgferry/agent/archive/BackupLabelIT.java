package io.pgferry.agent.archive;

import static io.pgferry.agent.archive.ArchiveRoundTripIT.checksums;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.agent.archive.backup.Progress;
import io.pgferry.agent.archive.replica.AgentLauncher;
import io.pgferry.agent.archive.replica.ArchiveReplicaBuilder;
import io.pgferry.archive.codec.Codec;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Archives from the field have been seen whose tars lack backup_label (non-exclusive backups keep it outside the
 * data directory). The restore must rebuild it from the archived backup history file, and refuse a backup that has
 * neither: recovery from the copied pg_control's checkpoint can silently corrupt the copy.
 */
class BackupLabelIT {
  @Test
  void aBackupWhoseLabelWasStrippedRestoresFromItsHistoryFileAndWithoutOneIsRefused() throws Exception {
    try (Workspace ws = Workspace.create("label")) {
      Path archiveDir = ws.dir("archive");
      String url = "file://" + archiveDir;
      String launcher = Launchers.agentCommandLine();
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("archive_mode", "on");
      settings.put("archive_command", "'" + launcher + " wal-push --archive " + url + " %p'");
      try (PgCluster source = PgCluster.init(ws, "source", PgBinaries.forMajor(15), settings).start()) {
        source.execute("CREATE TABLE t (id bigserial PRIMARY KEY, note text)",
            "INSERT INTO t (note) SELECT 'before ' || g FROM generate_series(1, 5000) g", "CHECKPOINT");
        BackupPush.Result backup;
        try (ObjectStore store = new DirStore(archiveDir); Connection c = source.connect()) {
          // writes and a checkpoint during the backup: pg_control's checkpoint then lies after the backup's start
          Thread writer = new Thread(() -> source.execute("INSERT INTO t (note) SELECT 'during ' || g FROM"
              + " generate_series(1, 20000) g", "CHECKPOINT"));
          writer.start();
          backup = new BackupPush(store, Codecs.writer(), 1L << 20, 2).push(c, source.dataDir());
          writer.join();
        }
        source.execute("INSERT INTO t (note) SELECT 'after ' || g FROM generate_series(1, 300) g");
        Map<String, String> expected = checksums(source);
        source.queryValue("SELECT pg_switch_wal()");
        source.stop();

        try (ObjectStore store = new DirStore(archiveDir)) {
          assertTrue(stripLabel(store, ArchiveLayout.walePartitionKey(backup.name(), 0)), "the label was in part 0");
        }
        Path replicaDir = prepare(ws, archiveDir, url, launcher, "replica");
        assertTrue(Files.readString(replicaDir.resolve("backup_label")).startsWith("START WAL LOCATION:"));
        try (PgCluster replica = PgCluster.adopt("replica", source.binaries(), replicaDir, portOf(replicaDir))) {
          replica.start();
          ArchiveRoundTripIT.waitFor(Duration.ofSeconds(120), () -> checksums(replica).equals(expected),
              () -> "the replica did not reach the source's data; log:\n" + ArchiveRoundTripIT.tail(replica.log()));
          assertEquals(expected, checksums(replica));
        }

        try (ObjectStore store = new DirStore(archiveDir)) {
          for (ObjectStore.StoredObject o : store.list(ArchiveLayout.WAL)) {
            if (o.key().contains(".backup")) {
              store.delete(o.key());
            }
          }
        }
        IOException refused = assertThrows(IOException.class,
            () -> prepare(ws, archiveDir, url, launcher, "refused"));
        assertTrue(refused.getMessage().contains("carries no backup_label and the archive holds no backup history"
            + " file"), refused.getMessage());
        assertFalse(Files.exists(ws.root().resolve("refused").resolve("postmaster.pid")));
      }
    }
  }

  private static Path prepare(Workspace ws, Path archiveDir, String url, String launcher, String name)
      throws Exception {
    Path dir = ws.root().resolve(name);
    int port = FreePorts.next();
    Map<String, String> overrides = new LinkedHashMap<>(PgCluster.testDefaults());
    overrides.put("unix_socket_directories", "'" + ws.dir("sock") + "'");
    try (ObjectStore store = new DirStore(archiveDir)) {
      ArchiveReplicaBuilder.prepare(store, new ArchiveReplicaBuilder.Options(dir, 15, port, "127.0.0.1", overrides,
          AgentLauncher.restoreCommand(launcher, url, null), Workspace.PG_USER, 2), Progress.NONE);
    }
    ArchiveRoundTripIT.trustLoopback(dir);
    return dir;
  }

  /** The port the builder wrote into the replica's settings. */
  private static int portOf(Path dataDir) throws IOException {
    for (String name : List.of("postgresql.auto.conf", "postgresql.conf")) {
      Matcher m = Pattern.compile("(?m)^port\\s*=\\s*'?(\\d+)")
          .matcher(Files.readString(dataDir.resolve(name)));
      int last = -1;
      while (m.find()) {
        last = Integer.parseInt(m.group(1));
      }
      if (last > 0) {
        return last;
      }
    }
    throw new IOException("no port in " + dataDir);
  }

  /** Rewrites the partition without its backup_label member; true when there was one. */
  private static boolean stripLabel(ObjectStore store, String key) throws IOException {
    Codec codec = Codecs.forKey(key).orElseThrow();
    ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
    boolean found = false;
    try (InputStream in = codec.decompress(store.get(key)); TarArchiveInputStream tar = new TarArchiveInputStream(in);
         OutputStream compressed = codec.compress(rewritten); TarArchiveOutputStream out = new TarArchiveOutputStream(compressed)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (e.getName().endsWith("backup_label")) {
          found = true;
          continue;
        }
        out.putArchiveEntry(e);
        tar.transferTo(out);
        out.closeArchiveEntry();
      }
    }
    store.put(key, new ByteArrayInputStream(rewritten.toByteArray()), rewritten.size());
    return found;
  }
}
