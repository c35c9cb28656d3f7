package io.pgferry.agent.archive;

import static io.pgferry.agent.archive.ArchiveRoundTripIT.tail;
import static io.pgferry.agent.archive.ArchiveRoundTripIT.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.NodeAgent;
import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.agent.archive.replica.ArchiveExtension;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.common.Backoff;
import io.pgferry.proto.BaseBackupMethod;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * A PG 17 standby for which this host has no pg_basebackup 17: the primary archives with wal-push and our
 * backup-push; the agent builds the standby with base-backup method ARCHIVE (backup-fetch LATEST, WAL from the
 * archive to consistency) and it then streams from the primary.
 */
class ArchiveStandby17IT {
  @Test
  void standbyBuiltFromTheArchiveStreamsFromItsPrimary() throws Exception {
    PgBinaries pg17 = PgBinaries.forMajor(17);
    Path launcherBin = Launchers.agentLauncher();
    System.setProperty("pgferry.agent.bin", "PGFERRY_AGENT_JAR=" + Launchers.agentJar() + " " + launcherBin);
    try (Workspace ws = Workspace.create("archive-standby17")) {
      Path archiveDir = ws.dir("archive");
      String url = "file://" + archiveDir;
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("archive_mode", "on");
      settings.put("archive_command", "'" + Launchers.agentCommandLine() + " wal-push --archive " + url + " %p'");
      try (PgCluster primary = PgCluster.init(ws, "primary", pg17, settings).start()) {
        primary.execute("CREATE TABLE t (id int PRIMARY KEY, v text)",
            "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g");
        try (ObjectStore store = new DirStore(archiveDir); Connection c = primary.connect()) {
          new BackupPush(store, Codecs.writer(), 8L << 20, 2).push(c, primary.dataDir());
        }
        primary.execute("INSERT INTO t SELECT g, 'after backup' FROM generate_series(5001, 6000) g");

        AgentConfig cfg = new AgentConfig("standby17", new AgentConfig.Controller("127.0.0.1:7400", true), null,
            new AgentConfig.Postgres(pg17.binDir(), ws.root().resolve("standby"), FreePorts.next(), "127.0.0.1", "127.0.0.1",
                ws.dir("sock"), Workspace.PG_USER, "postgres", null, Map.of("fsync", "off", "shared_buffers", "64MB"), null),
            new AgentConfig.Archive(url, null, 4), ws.dir("standby-state"), new AgentConfig.Http("127.0.0.1", 0), null,
            new AgentConfig.Goals(null, true)); // the test connects over trust (127.0.0.1/32)
        try (ArchiveExtension ext = new ArchiveExtension(cfg);
             NodeAgent agent = new NodeAgent(cfg, new NodeAgent.Options(Duration.ofMillis(300), Duration.ofSeconds(1),
                 new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), 2.0), (t, s) -> { }, ArchiveExtension.table(ext), ext.providers()));
             PgCluster standby = PgCluster.adopt("standby", pg17, cfg.postgres().dataDir(), cfg.postgres().port())) {
          ext.attach(agent);
          agent.start();
          agent.onAssignment(Goal.newBuilder().setState(NodeState.STREAMING_STANDBY).setGeneration(1)
              .setUpstream(Upstream.newBuilder().setHost(primary.host()).setPort(primary.port()).setUser("postgres"))
              .setBaseBackupMethod(BaseBackupMethod.ARCHIVE).setArchiveUrl(url)
              .addHbaRules(HbaRule.newBuilder().setType("host").setDatabase("all").setUser("all").setAddress("127.0.0.1/32").setMethod("trust"))
              .build(), OptionalLong.empty());
          waitFor(Duration.ofSeconds(180), () -> agent.record().converged() && agent.record().state() == NodeState.STREAMING_STANDBY
                  && agent.status().getState() == NodeState.STREAMING_STANDBY,
              () -> "agent did not reach STREAMING_STANDBY: " + agent.status().toString().replace('\n', ' ')
                  + "\nstandby log:\n" + (Files.exists(standby.logFile()) ? tail(standby.log()) : "none"));
          assertTrue(Files.exists(cfg.postgres().dataDir().resolve("standby.signal")));
          assertEquals("17", Files.readString(cfg.postgres().dataDir().resolve("PG_VERSION")).trim());

          // streams: rows written now arrive without any segment switch (nothing new reaches the archive)
          primary.execute("INSERT INTO t SELECT g, 'streamed' FROM generate_series(6001, 6100) g");
          String lsn = primary.queryValue("SELECT pg_current_wal_lsn()");
          waitFor(Duration.ofSeconds(60),
              () -> "streaming".equals(queryOrNull(primary, "SELECT state FROM pg_stat_replication WHERE application_name = 'standby17'")),
              () -> "primary sees no streaming standby: " + queryOrNull(primary, "SELECT json_agg(r) FROM pg_stat_replication r"));
          waitFor(Duration.ofSeconds(60), () -> "100".equals(queryOrNull(standby, "SELECT count(*) FROM t WHERE v = 'streamed'")),
              () -> "streamed rows not on the standby; log:\n" + tail(standby.log()));
          assertEquals("streaming", standby.queryValue("SELECT status FROM pg_stat_wal_receiver"));
          assertEquals("t", standby.queryValue("SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn"));
          assertEquals(primary.queryValue("SELECT count(*) || md5(string_agg(v, ',' ORDER BY id)) FROM t"),
              standby.queryValue("SELECT count(*) || md5(string_agg(v, ',' ORDER BY id)) FROM t"));
          assertTrue(standby.queryValue("SHOW restore_command").contains("wal-fetch"), "falls back to the archive too");
        }
      }
    } finally {
      System.clearProperty("pgferry.agent.bin");
    }
  }

  private static String queryOrNull(PgCluster c, String sql) {
    try {
      return c.queryValue(sql);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
