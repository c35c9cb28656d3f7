package io.pgferry.agent.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.agent.archive.backup.Progress;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.agent.archive.replica.AgentLauncher;
import io.pgferry.agent.archive.replica.ArchiveReplicaBuilder;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.common.Command;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.S3Server;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.archive.storage.S3Credentials;
import io.pgferry.archive.storage.S3Options;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The archive round trip with real clusters: archive_command = wal-push (the shaded jar), pgbench load during
 * backup-push, a new data dir prepared as an archive replica (backup-fetch LATEST, config for this host,
 * restore_command = wal-fetch) reaches consistency and, after the source stops, holds the source's data.
 */
class ArchiveRoundTripIT {
  static final Path PGBENCH = Path.of("/usr/lib/postgresql/15/bin/pgbench");

  @ParameterizedTest(name = "PG {0} from a directory archive")
  @ValueSource(ints = {15, 11, 17})
  void roundTripFromDirectory(int major) throws Exception {
    try (Workspace ws = Workspace.create("archive-rt" + major)) {
      Path archiveDir = ws.dir("archive");
      roundTrip(ws, major, "file://" + archiveDir, "", () -> new DirStore(archiveDir));
    }
  }

  @org.junit.jupiter.api.Test
  void roundTripFromS3OnPg15() throws Exception {
    try (Workspace ws = Workspace.create("archive-rt-s3"); S3Server s3 = S3Server.start("pgferry-archive")) {
      String env = "AWS_ACCESS_KEY_ID=" + S3Server.ACCESS_KEY + " AWS_SECRET_ACCESS_KEY=" + S3Server.SECRET_KEY
          + " AWS_REGION=us-east-1 AWS_ENDPOINT=" + s3.endpoint() + " AWS_S3_FORCE_PATH_STYLE=true ";
      String url = "s3://pgferry-archive/heroku/db1";
      S3Options opts = S3Options.DEFAULTS.withRegion("us-east-1").withEndpoint(s3.endpoint(), true)
          .withCredentials(new S3Credentials(S3Server.ACCESS_KEY, S3Server.SECRET_KEY, null));
      roundTrip(ws, 15, url, env, () -> ArchiveLocation.parse(url, opts).open());
    }
  }

  interface StoreFactory {
    ObjectStore open() throws Exception;
  }

  void roundTrip(Workspace ws, int major, String url, String envPrefix, StoreFactory stores) throws Exception {
    {
      String launcher = envPrefix + Launchers.agentCommandLine(); // a copy postgres can read (the checkout may be 0700)
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("archive_mode", "on");
      settings.put("archive_command", "'" + launcher + " wal-push --archive " + url + " %p'");
      try (PgCluster source = PgCluster.init(ws, "source", PgBinaries.forMajor(major), settings).start()) {
        source.execute("CREATE EXTENSION hstore",
            "CREATE TABLE kv (id bigserial PRIMARY KEY, attrs hstore NOT NULL, note text)",
            "INSERT INTO kv (attrs, note) SELECT hstore(ARRAY['k', g::text, 'sq', (g*g)::text]), 'before' FROM generate_series(1, 2000) g");
        pgbench(source, "-i", "-s", "2", "-q");
        Process load = pgbenchProcess(source, "-c", "2", "-T", "15", "-n");
        BackupPush.Result backup;
        try (ObjectStore store = stores.open(); Connection c = source.connect()) {
          source.execute("INSERT INTO kv (attrs, note) SELECT hstore('during', g::text), 'during' FROM generate_series(1, 500) g");
          backup = new BackupPush(store, Codecs.writer(), 8L << 20, 2).push(c, source.dataDir());
        }
        load.waitFor();
        try (ObjectStore store = stores.open()) {
          assertTrue(store.exists(ArchiveLayout.sentinelKey(backup.name())), "sentinel written");
        }
        source.execute("INSERT INTO kv (attrs, note) SELECT hstore('after', g::text) || hstore('x', NULL), 'after' FROM generate_series(1, 700) g",
            "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 97 = 0");

        Path replicaDir = ws.root().resolve("replica");
        int port = FreePorts.next();
        Map<String, String> overrides = new LinkedHashMap<>(PgCluster.testDefaults());
        overrides.put("unix_socket_directories", "'" + ws.dir("sock") + "'");
        String restore = AgentLauncher.restoreCommand(launcher, url, null);
        try (ObjectStore store = stores.open()) {
          ArchiveReplicaBuilder.prepare(store, new ArchiveReplicaBuilder.Options(replicaDir, major, port, "127.0.0.1", overrides,
              restore, Workspace.PG_USER, 4), Progress.NONE);
        }
        trustLoopback(replicaDir);
        assertFalse(Files.exists(replicaDir.resolve("postmaster.pid")));
        try (PgCluster replica = PgCluster.adopt("replica", source.binaries(), replicaDir, port)) {
          replica.start();
          assertEquals("t", replica.queryValue("SELECT pg_is_in_recovery()"));

          Map<String, String> expected = checksums(source);
          String lsn = source.queryValue("SELECT pg_current_wal_lsn()");
          source.queryValue("SELECT pg_switch_wal()");
          source.stop();
          waitFor(Duration.ofSeconds(120), () -> checksums(replica).equals(expected),
              () -> "replica did not reach the source's data (last LSN " + lsn + "); replica log:\n" + tail(replica.log()));
          assertEquals(expected, checksums(replica));
          assertTrue(expected.get("kv").startsWith("3200 "), "hstore table compared: " + expected.get("kv"));
        }
      }
    }
  }

  static void trustLoopback(Path dataDir) throws Exception {
    Files.writeString(dataDir.resolve("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n");
  }

  static Map<String, String> checksums(PgCluster c) {
    Map<String, String> out = new TreeMap<>();
    try (Connection conn = c.connect(); Statement st = conn.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String t : tables) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) || ' ' || md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM " + t + " x")) {
          rs.next();
          out.put(t, rs.getString(1));
        }
      }
    } catch (Exception e) {
      out.put("error", e.getMessage());
    }
    return out;
  }

  static void pgbench(PgCluster c, String... args) {
    Command.of(pgbenchArgv(c, args)).timeout(Duration.ofMinutes(3)).runChecked();
  }

  static Process pgbenchProcess(PgCluster c, String... args) throws Exception {
    return new ProcessBuilder(pgbenchArgv(c, args)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  private static List<String> pgbenchArgv(PgCluster c, String... args) {
    List<String> argv = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "127.0.0.1", "-p", String.valueOf(c.port()), "-U", "postgres"));
    argv.addAll(List.of(args));
    argv.add("postgres");
    return argv;
  }

  static void waitFor(Duration limit, BooleanSupplier condition, Supplier<String> failure) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(failure.get());
      }
      Thread.sleep(300);
    }
  }

  static String tail(String log) {
    return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
  }
}
