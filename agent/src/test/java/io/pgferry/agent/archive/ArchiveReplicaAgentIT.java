package io.pgferry.agent.archive;

import static io.pgferry.agent.archive.ArchiveRoundTripIT.checksums;
import static io.pgferry.agent.archive.ArchiveRoundTripIT.tail;
import static io.pgferry.agent.archive.ArchiveRoundTripIT.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.NodeAgent;
import io.pgferry.agent.archive.backup.BackupPush;
import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.agent.archive.backup.Progress;
import io.pgferry.agent.archive.replica.AgentLauncher;
import io.pgferry.agent.archive.replica.ArchiveExtension;
import io.pgferry.agent.archive.replica.ArchiveReplicaBuilder;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.S3Credentials;
import io.pgferry.archive.storage.S3Options;
import io.pgferry.agent.archive.wal.WalFetch;
import io.pgferry.agent.archive.wal.WalFetchEndpoint;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.agent.metrics.AgentMetrics;
import io.pgferry.common.Backoff;
import io.pgferry.common.Command;
import io.pgferry.proto.ArchiveStatus;
import io.pgferry.proto.Goal;
import io.pgferry.proto.HbaRule;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.pgferry.testkit.FaultyHttpProxy;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.Launchers;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.PgCluster;
import io.pgferry.testkit.S3Server;
import io.pgferry.testkit.Workspace;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One PG 15 source archiving with archive_command = wal-push (the shaded jar) into a directory archive, one
 * backup-push; then: a corrupt .lzo segment stops a real replica before it (and wal-fetch exits >= 126); the S3 CLI
 * paths through a proxy that answers 503 or refuses the credentials; and, last (it stops the source), an empty
 * data dir driven by NodeAgent to ARCHIVE_REPLICA that ends with the source's data.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ArchiveReplicaAgentIT {
  private static final PgBinaries PG15 = PgBinaries.forMajor(15);
  private Workspace ws;
  private PgCluster source;
  private Path archiveDir;
  private String url;

  @BeforeAll
  void source() throws Exception {
    ws = Workspace.create("archive-agent");
    archiveDir = ws.dir("archive");
    url = "file://" + archiveDir;
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("archive_mode", "on");
    settings.put("archive_command", "'" + Launchers.agentCommandLine() + " wal-push --archive " + url + " %p'");
    source = PgCluster.init(ws, "source", PG15, settings).start();
    source.execute("CREATE EXTENSION hstore",
        "CREATE TABLE kv (id bigserial PRIMARY KEY, attrs hstore NOT NULL, note text)",
        "INSERT INTO kv (attrs, note) SELECT hstore(ARRAY['k', g::text, 'sq', (g*g)::text]), 'base' FROM generate_series(1, 2000) g");
    ArchiveRoundTripIT.pgbench(source, "-i", "-s", "2", "-q");
    Process load = ArchiveRoundTripIT.pgbenchProcess(source, "-c", "2", "-T", "6", "-n");
    try (ObjectStore store = new DirStore(archiveDir); Connection c = source.connect()) {
      new BackupPush(store, Codecs.writer(), 8L << 20, 2).push(c, source.dataDir());
    }
    load.waitFor();
  }

  @AfterAll
  void close() {
    if (source != null) {
      source.close();
    }
    if (ws != null) {
      ws.close();
    }
  }

  @Test
  @Order(1)
  void corruptSegmentStopsTheReplicaBeforeIt() throws Exception {
    source.execute("INSERT INTO kv (attrs, note) SELECT hstore('zone', 'before'), 'before-corrupt' FROM generate_series(1, 300) g");
    source.queryValue("SELECT pg_switch_wal()");
    source.execute("INSERT INTO kv (attrs, note) SELECT hstore('zone', 'corrupt'), 'in-corrupt' FROM generate_series(1, 300) g");
    String corrupt = source.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())");
    String corruptStart = source.queryValue("SELECT pg_current_wal_lsn()");
    source.queryValue("SELECT pg_switch_wal()");
    source.execute("INSERT INTO kv (attrs, note) SELECT hstore('zone', 'after'), 'after-corrupt' FROM generate_series(1, 300) g");
    String after = source.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())");
    source.queryValue("SELECT pg_switch_wal()");
    awaitArchived(source, after);

    Path copy = ws.root().resolve("archive-corrupt");
    Command.of("cp", "-a", archiveDir.toString(), copy.toString()).runChecked();
    Path lzo = copy.resolve(ArchiveLayout.waleWalKey(corrupt));
    byte[] bytes = Files.readAllBytes(lzo);
    bytes[100] ^= 0x55; // inside the first block: its Adler-32 no longer matches
    Files.write(lzo, bytes);
    String copyUrl = "file://" + copy;

    Path dest = ws.dir("fetched").resolve(corrupt);
    AgentCli.Result r = AgentCli.run(Map.of(), "wal-fetch", "--archive", copyUrl, corrupt, dest.toString());
    assertTrue(r.exit() >= 126, "corrupt segment must abort recovery, not end it: " + r);
    assertTrue(r.stderr().contains("corrupt"), r.stderr());
    assertFalse(Files.exists(dest), "no file at DEST");
    assertFalse(Files.exists(dest.resolveSibling(corrupt + ".tmp")), "no partial file left");

    Path dataDir = ws.root().resolve("corrupt-replica");
    int port = FreePorts.next();
    Map<String, String> overrides = new LinkedHashMap<>(PgCluster.testDefaults());
    overrides.put("unix_socket_directories", "'" + ws.dir("sock") + "'");
    String restore = AgentLauncher.restoreCommand(Launchers.agentCommandLine(), copyUrl, null);
    try (ObjectStore store = new DirStore(copy)) {
      ArchiveReplicaBuilder.prepare(store, new ArchiveReplicaBuilder.Options(dataDir, 15, port, "127.0.0.1", overrides,
          restore, Workspace.PG_USER, 4), Progress.NONE);
    }
    ArchiveRoundTripIT.trustLoopback(dataDir);
    try (PgCluster replica = PgCluster.adopt("corrupt-replica", PG15, dataDir, port)) {
      try {
        replica.start();
      } catch (RuntimeException startFailed) {
        // the startup process may abort before pg_ctl sees the server ready; checked below either way
      }
      waitFor(Duration.ofSeconds(90), () -> !replica.isRunning(),
          () -> "replica kept running past a corrupt segment; log:\n" + tail(replica.log()));
      String log = replica.log();
      assertTrue(log.contains("could not restore file \"" + corrupt + "\" from archive"), tail(log));
      assertTrue(log.contains("exit code 128"), tail(log));
      assertTrue(log.contains("stays corrupt"), "the log says why: " + tail(log));

      // without the bad segment the same replica replays up to it and waits: nothing from it or after it is there
      Files.delete(lzo);
      replica.start();
      waitFor(Duration.ofSeconds(60), () -> count(replica, "before-corrupt") == 300,
          () -> "rows before the corrupt segment not replayed; log:\n" + tail(replica.log()));
      assertEquals(0, count(replica, "in-corrupt"));
      assertEquals(0, count(replica, "after-corrupt"));
      String replay = replica.queryValue("SELECT pg_last_wal_replay_lsn()");
      assertEquals("t", replica.queryValue("SELECT '" + replay + "'::pg_lsn <= '" + corruptStart + "'::pg_lsn"),
          "replay " + replay + " passed into " + corrupt + " (starts before " + corruptStart + ")");
    }
  }

  @Test
  @Order(2)
  void s3ThroughAFaultyProxy() throws Exception {
    try (S3Server s3 = S3Server.start("pgferry-archive"); FaultyHttpProxy proxy = FaultyHttpProxy.start(s3.endpoint())) {
      String s3Url = "s3://pgferry-archive/agent-it";
      S3Options opts = S3Options.DEFAULTS.withRegion("us-east-1").withEndpoint(s3.endpoint(), true)
          .withCredentials(new S3Credentials(S3Server.ACCESS_KEY, S3Server.SECRET_KEY, null));
      try (ObjectStore store = ArchiveLocation.parse(s3Url, opts).open(); Connection c = source.connect()) {
        new BackupPush(store, Codecs.writer(), 8L << 20, 2).push(c, source.dataDir());
      }
      String segment = source.queryValue("SELECT last_archived_wal FROM pg_stat_archiver");
      Path wal = ws.dir("s3-wal").resolve(segment);
      try (ObjectStore dir = new DirStore(archiveDir)) {
        assertEquals(WalFetch.Outcome.FETCHED, new WalFetch(dir).fetch(segment, wal));
      }
      Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY,
          "AWS_REGION", "us-east-1", "AWS_ENDPOINT", proxy.endpoint().toString(), "AWS_S3_FORCE_PATH_STYLE", "true");

      int before = proxy.served503();
      proxy.failNext(3);
      AgentCli.Result push = AgentCli.run(env, "wal-push", "--archive", s3Url, wal.toString());
      assertEquals(0, push.exit(), push.toString());
      assertEquals(3, proxy.served503() - before, "three 503s answered, then retried");

      Path fetched = ws.dir("s3-fetched").resolve(segment);
      before = proxy.served503();
      proxy.failNext(3);
      AgentCli.Result fetch = AgentCli.run(env, "wal-fetch", "--archive", s3Url, segment, fetched.toString());
      assertEquals(0, fetch.exit(), fetch.toString());
      assertEquals(3, proxy.served503() - before);
      assertEquals(-1, Files.mismatch(wal, fetched), "wal-fetch returns what wal-push stored");

      Path restored = ws.root().resolve("s3-restored");
      before = proxy.served503();
      proxy.failNext(3);
      AgentCli.Result backup = AgentCli.run(env, "backup-fetch", "--archive", s3Url, "--os-user", Workspace.PG_USER,
          restored.toString(), "LATEST");
      assertEquals(0, backup.exit(), backup.toString());
      assertEquals(3, proxy.served503() - before);
      assertEquals("15", Files.readString(restored.resolve("PG_VERSION")).trim());
      assertTrue(Files.exists(restored.resolve("global/pg_control")));

      proxy.expectAccessKey(S3Server.ACCESS_KEY);
      Map<String, String> wrong = new LinkedHashMap<>(env);
      wrong.put("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG");
      for (List<String> args : List.of(
          List.of("backup-list", "--archive", s3Url),
          List.of("wal-fetch", "--archive", s3Url, segment, ws.dir("s3-denied").resolve(segment).toString()),
          List.of("wal-push", "--archive", s3Url, wal.toString()),
          List.of("backup-fetch", "--archive", s3Url, ws.root().resolve("s3-denied-backup").toString(), "LATEST"))) {
        AgentCli.Result denied = AgentCli.run(wrong, args.toArray(String[]::new));
        assertEquals(2, denied.exit(), args.get(0) + " with wrong credentials: " + denied);
        String err = denied.stderr().strip();
        assertEquals(1, err.lines().count(), args.get(0) + ": one line, no stack trace: " + err);
        assertTrue(err.toLowerCase().contains("credential") || err.toLowerCase().contains("access key"), err);
      }
      assertTrue(proxy.served403() >= 4, "the proxy refused the wrong key");
    }
  }

  @Test
  @Order(3)
  void nodeAgentTakesAnEmptyHostToArchiveReplica() throws Exception {
    Path launcherBin = Launchers.agentLauncher();
    System.setProperty("pgferry.agent.bin", "PGFERRY_AGENT_JAR=" + Launchers.agentJar() + " " + launcherBin);
    AgentConfig cfg = new AgentConfig("replica", new AgentConfig.Controller("127.0.0.1:7400", true), null,
        new AgentConfig.Postgres(PG15.binDir(), ws.root().resolve("agent-replica"), FreePorts.next(), "127.0.0.1", "127.0.0.1",
            ws.dir("sock"), Workspace.PG_USER, "postgres", null, Map.of("fsync", "off", "shared_buffers", "64MB",
            "wal_retrieve_retry_interval", "60s"), null),
        new AgentConfig.Archive(url, null, 4), ws.dir("agent-replica-state"), new AgentConfig.Http("0.0.0.0", 0), null,
        new AgentConfig.Goals(null, true)); // the test connects over trust (127.0.0.1/32)
    Vertx vertx = Vertx.vertx();
    try (ArchiveExtension ext = new ArchiveExtension(cfg);
         NodeAgent agent = new NodeAgent(cfg, new NodeAgent.Options(Duration.ofMillis(300), Duration.ofSeconds(1),
             new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), 2.0), (t, s) -> { }, ArchiveExtension.table(ext), ext.providers()));
         PgCluster replica = PgCluster.adopt("agent-replica", PG15, cfg.postgres().dataDir(), cfg.postgres().port())) {
      ext.attach(agent);
      AgentMetrics metrics = new AgentMetrics(agent);
      ext.registerMetrics(metrics.registry());
      int endpointPort = ext.startWalFetchEndpoint(vertx).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).actualPort();
      assertEquals(String.valueOf(endpointPort), Files.readString(cfg.stateDir().resolve(WalFetchEndpoint.PORT_FILE)).trim());
      assertLoopbackOnly(endpointPort);

      agent.start();
      agent.onAssignment(Goal.newBuilder().setState(NodeState.ARCHIVE_REPLICA).setGeneration(1).setArchiveUrl(url)
              .addHbaRules(HbaRule.newBuilder().setType("host").setDatabase("all").setUser("all").setAddress("127.0.0.1/32").setMethod("trust"))
              .build(),
          OptionalLong.empty());
      waitFor(Duration.ofSeconds(180), () -> agent.record().converged() && agent.record().state() == NodeState.ARCHIVE_REPLICA
              && agent.status().getState() == NodeState.ARCHIVE_REPLICA,
          () -> "agent did not reach ARCHIVE_REPLICA: " + agent.status().toString().replace('\n', ' '));
      assertEquals("t", replica.queryValue("SELECT pg_is_in_recovery()"));
      String restore = replica.queryValue("SHOW restore_command");
      assertTrue(restore.contains(launcherBin + " wal-fetch") && restore.contains("--state-dir " + cfg.stateDir()), restore);

      // the controller waits on this replica (StatusNow, as in cutover 1): once the segment recovery needs next is in
      // the archive, PostgreSQL is woken at once instead of sleeping out wal_retrieve_retry_interval (60 s here)
      String mark = source.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())");
      source.queryValue("SELECT pg_switch_wal()");
      awaitArchived(source, mark);
      waitFor(Duration.ofSeconds(60), () -> observedNow(agent).getArchive().getLastRestoredSegment().compareTo(mark) >= 0,
          () -> "the replica did not restore " + mark + ": " + agent.status().getArchive());
      long caughtUp = System.nanoTime(); // recovery restored mark, missed the next segment and sleeps 60 s from about here
      source.execute("INSERT INTO kv (attrs, note) SELECT hstore('woken', g::text), 'woken' FROM generate_series(1, 10) g");
      String next = source.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())");
      source.queryValue("SELECT pg_switch_wal()");
      awaitArchived(source, next);
      long archivedAt = System.nanoTime();
      waitFor(Duration.ofSeconds(20), () -> observedNow(agent) != null && count(replica, "woken") == 10,
          () -> "the replica was not woken for " + next + " (" + agent.status().getArchive() + "); log:\n" + tail(replica.log()));
      System.out.printf("woken: the replica replayed %s %.2f s after it was archived (%.1f s after it caught up; it would have slept 60 s)%n",
          next, (System.nanoTime() - archivedAt) / 1e9, (System.nanoTime() - caughtUp) / 1e9);
      assertTrue(metrics.registry().scrape().lines().anyMatch(l -> l.startsWith("pgferry_archive_recovery_wakeups_total")
          && !l.endsWith(" 0.0")), "recovery wakeups counted");

      source.execute("INSERT INTO kv (attrs, note) SELECT hstore('agent', g::text), 'agent' FROM generate_series(1, 500) g",
          "UPDATE pgbench_accounts SET abalance = abalance - 3 WHERE aid % 89 = 0");
      Map<String, String> expected = checksums(source);
      String last = source.queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())");
      source.queryValue("SELECT pg_switch_wal()");
      awaitArchived(source, last);
      source.stop();
      waitFor(Duration.ofSeconds(120), () -> observedNow(agent) != null && checksums(replica).equals(expected),
          () -> "replica did not reach the source's data; log:\n" + tail(replica.log()));
      assertTrue(expected.containsKey("kv") && !expected.get("kv").startsWith("0 "), "hstore table compared: " + expected);

      // restored through the agent's endpoint (prefetch), measured against the archive head
      waitFor(Duration.ofSeconds(60), () -> {
            ArchiveStatus a = agent.status().getArchive();
            // the head is the source's last segment, or the next: with archive_mode on, the shutdown switches and
            // archives the segment holding what was written after pg_switch_wal() (bgwriter's running-xacts record)
            return a.getArchiveHeadSegment().compareTo(last) >= 0 && a.getLastRestoredSegment().equals(a.getArchiveHeadSegment())
                && a.getLagSegments() == 0;
          },
          () -> "archive status (source's last segment " + last + "): " + agent.status().getArchive());
      ArchiveStatus a = agent.status().getArchive();
      assertEquals(0, a.getLagSeconds(), a.toString());
      String scrape = metrics.registry().scrape();
      assertTrue(scrape.contains("pgferry_archive_lag_segments 0.0"), scrape);
      assertTrue(scrape.contains("pgferry_archive_lag_seconds 0.0"), scrape);
      assertTrue(scrape.contains("pgferry_backup_fetch_bytes_total "), scrape);
      assertFalse(scrape.contains("pgferry_backup_fetch_bytes_total 0.0"), "backup-fetch bytes counted");

      // the agent restarted on its converged node (no transition runs) still serves prefetch and reports the lag
      agent.close();
      try (ArchiveExtension ext2 = new ArchiveExtension(cfg);
           NodeAgent again = new NodeAgent(cfg, new NodeAgent.Options(Duration.ofMillis(300), Duration.ofSeconds(1),
               new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), 2.0), (t, s) -> { }, ArchiveExtension.table(ext2), ext2.providers()))) {
        ext2.attach(again);
        again.start();
        waitFor(Duration.ofSeconds(30), () -> again.status().getArchive().getArchiveHeadSegment().compareTo(last) >= 0
            && again.status().getArchive().getLagSegments() == 0,
            () -> "archive status after a restart (source's last segment " + last + "): " + again.status().getArchive());
      }
    } finally {
      System.clearProperty("pgferry.agent.bin");
      vertx.close();
    }
  }

  /** What the controller's StatusNow gets: the agent observes now (and wakes recovery when its segment arrived). */
  private static Status observedNow(NodeAgent agent) {
    try {
      agent.observeNow().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return agent.status();
  }

  /** The wal-fetch endpoint answers on 127.0.0.1 only, whatever http.host is (0.0.0.0 here). */
  private static void assertLoopbackOnly(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    }
    Optional<InetAddress> external = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
        .filter(x -> !x.isLoopbackAddress() && x instanceof Inet4Address).findFirst();
    if (external.isPresent()) {
      assertThrows(IOException.class, () -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(external.get(), port), 2000);
        }
      }, "wal-fetch endpoint reachable on " + external.get());
    }
  }

  private static long count(PgCluster c, String note) {
    try {
      return Long.parseLong(c.queryValue("SELECT count(*) FROM kv WHERE note = '" + note + "'"));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  static void awaitArchived(PgCluster c, String segment) throws InterruptedException {
    waitFor(Duration.ofSeconds(60), () -> {
          String archived = c.queryValue("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
          return archived.length() >= 24 && archived.substring(0, 24).compareTo(segment) >= 0;
        },
        () -> segment + " not archived: " + c.queryValue("SELECT row_to_json(a) FROM pg_stat_archiver a"));
  }
}
