package io.pgferry.controller.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.S3Credentials;
import io.pgferry.archive.storage.S3Options;
import io.pgferry.controller.journey.Preflight.Fact;
import io.pgferry.controller.journey.wiring.ArchiveStoreInspector;
import io.pgferry.controller.plan.Plan;
import io.pgferry.testkit.FaultyHttpProxy;
import io.pgferry.testkit.S3Server;
import io.pgferry.testkit.plan.PlanBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PREFLIGHT reads the archive from the controller through the archive module, for a directory and for S3 alike: it
 * finds the newest backup, and a segment missing between the backup's start and the archive head is a blocker.
 */
class ArchivePreflightTest {
  private static S3Server server;
  private static FaultyHttpProxy proxy;

  @TempDir
  Path dir;

  @BeforeAll
  static void startS3() {
    server = S3Server.start("heroku-wal");
    proxy = FaultyHttpProxy.start(server.endpoint()).expectAccessKey(S3Server.ACCESS_KEY); // 403 for any other key
  }

  @AfterAll
  static void stopS3() {
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void directoryArchive() throws Exception {
    Path root = dir.resolve("archive");
    String plan = TestPlans.engine().archiveDir(root).yaml();
    check(plan, ArchiveLocation.directory(root));
  }

  @Test
  void s3ArchiveWithCredentialsFromThePlan() throws Exception {
    Path id = PlanBuilder.writeSecret(dir.resolve("aws-id"), S3Server.ACCESS_KEY);
    Path secret = PlanBuilder.writeSecret(dir.resolve("aws-secret"), S3Server.SECRET_KEY);
    String plan = TestPlans.engine().archiveS3("s3://heroku-wal/db/prod", proxy.endpoint(), "us-east-1", "file:" + id,
        "file:" + secret).yaml();
    check(plan, ArchiveLocation.s3("heroku-wal", "db/prod", S3Options.DEFAULTS.withRegion("us-east-1")
        .withEndpoint(proxy.endpoint(), true).withCredentials(new S3Credentials(S3Server.ACCESS_KEY, S3Server.SECRET_KEY))));
    assertEquals(0, proxy.served403(), "the plan's keys were used");
  }

  @Test
  void s3ArchiveWithWrongKeysIsABlockerThatHidesTheSecret() throws Exception {
    String plan = TestPlans.engine().archiveS3("s3://heroku-wal/other", proxy.endpoint(), "us-east-1", "wrong-id",
        "very-secret-value").yaml();
    Preflight.Report r = preflight(TestPlans.load(plan).plan());
    assertFalse(r.green());
    String archive = r.blockers().stream().filter(b -> b.startsWith("archive s3://heroku-wal/other: cannot read"))
        .findFirst().orElseThrow(() -> new AssertionError(r.blockers().toString()));
    assertFalse(archive.contains("very-secret-value"), archive);
  }

  /** The same archive content through the module's store: a backup starting in segment 2, WAL 2..6 without 4. */
  private void check(String planText, ArchiveLocation where) throws Exception {
    Plan plan = TestPlans.load(planText).plan();
    try (ObjectStore store = where.open()) {
      put(store, ArchiveLayout.sentinelKey("base_000000010000000000000002_00000040"),
          "{\"wal_segment_backup_stop\":\"000000010000000000000002\",\"expanded_size_bytes\":1000}");
      for (long n : new long[] {2, 3, 5, 6}) {
        put(store, ArchiveLayout.waleWalKey(WalNames.name(1, n, WalNames.DEFAULT_SEGMENT_SIZE)), "wal");
      }
      Preflight.Report r = preflight(plan);
      assertTrue(r.notes().contains("archive: newest backup base_000000010000000000000002_00000040, 1000 bytes expanded"),
          r.notes().toString());
      assertEquals(List.of("archive " + where.url() + ": WAL gap: 1 segment(s) missing between backup "
          + "base_000000010000000000000002_00000040's start 000000010000000000000002 and the archive head "
          + "000000010000000000000006 (recovery would stop at the first): 000000010000000000000004"), r.blockers());

      put(store, ArchiveLayout.waleWalKey("000000010000000000000004"), "wal");
      Preflight.Report green = preflight(plan);
      assertTrue(green.green(), green.blockers().toString());
    }
  }

  private static Preflight.Report preflight(Plan plan) {
    Fact<Optional<ArchiveInspector.Backup>> backup;
    try {
      backup = Fact.of(new ArchiveStoreInspector().latestBackup(plan.archive()));
    } catch (Exception e) {
      backup = Fact.failed(e.getMessage());
    }
    return Preflight.evaluate(plan, new Preflight.Facts(PreflightTest.node("a", 15, 1L << 40, true),
        PreflightTest.node("b", 15, 1L << 40, true), Fact.of(0), backup, Fact.of(150004), null));
  }

  private static void put(ObjectStore store, String key, String text) throws Exception {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    store.put(key, new ByteArrayInputStream(b), b.length);
  }
}
