package io.pgferry.archive.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.UsageException;
import io.pgferry.testkit.FaultyHttpProxy;
import io.pgferry.testkit.S3Server;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite against a real S3-compatible server over HTTP, through {@link FaultyHttpProxy} (which
 * checks the access key), plus S3-only behaviour: multipart, retries on 503, wrong credentials.
 */
class S3StoreTest extends ObjectStoreConformance {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static S3Server server;
  private static FaultyHttpProxy proxy;

  private S3Store store;

  @BeforeAll
  static void startServer() {
    server = S3Server.start("pgferry-archive");
    proxy = FaultyHttpProxy.start(server.endpoint()).expectAccessKey(S3Server.ACCESS_KEY);
  }

  @AfterAll
  static void stopServer() {
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  static S3Options options(String accessKey) {
    return S3Options.DEFAULTS.withRegion("us-east-1").withEndpoint(proxy.endpoint(), true)
        .withCredentials(new S3Credentials(accessKey, S3Server.SECRET_KEY))
        .withMultipart(5L * 1024 * 1024, 5L * 1024 * 1024)
        .withRetries(6, Duration.ofMillis(20), Duration.ofMillis(500));
  }

  @Override
  ObjectStore store() {
    if (store == null) {
      // a fresh prefix per test: the store starts empty, and prefix handling is exercised every time
      store = new S3Store(server.bucket(), "heroku/db-" + PREFIXES.incrementAndGet(), options(S3Server.ACCESS_KEY));
    }
    return store;
  }

  @AfterEach
  void closeStore() {
    proxy.failNext(0);
    if (store != null) {
      store.close();
    }
  }

  @Test
  void largeObjectGoesUpInParts() throws Exception {
    ObjectStore s = store();
    byte[] big = new byte[20 * 1024 * 1024 + 1];
    new Random(5).nextBytes(big);
    int before = proxy.log().size();
    s.put("wal_005/big", new ByteArrayInputStream(big), big.length);
    var requests = proxy.log().subList(before, proxy.log().size());
    assertEquals(5, requests.stream().filter(l -> l.startsWith("PUT") && l.contains("partNumber=")).count(),
        requests.toString());
    assertTrue(requests.stream().anyMatch(l -> l.startsWith("POST") && l.contains("uploadId=")), requests.toString());
    assertArrayEquals(sha256(big), sha256(get(s, "wal_005/big")));
  }

  @Test
  void threeServiceUnavailableAnswersAreRetriedAway() throws Exception {
    ObjectStore s = store();
    byte[] data = bytes("segment after a 503 storm");
    int before = proxy.served503();
    proxy.failNext(3);
    put(s, "wal_005/000000010000000000000007.lzo", data);
    int served = proxy.served503();
    assertEquals(before + 3, served, "the put went through after the proxy answered 503 three times");

    proxy.failNext(3);
    assertArrayEquals(data, get(s, "wal_005/000000010000000000000007.lzo"));
    assertEquals(served + 3, proxy.served503());

    proxy.failNext(3);
    assertTrue(s.exists("wal_005/000000010000000000000007.lzo"));
    proxy.failNext(3);
    assertEquals(1, s.list("wal_005/").size());
    assertEquals(served + 9, proxy.served503());
  }

  @Test
  void droppedDownloadResumesWhereItBroke() throws Exception {
    ObjectStore s = store();
    byte[] data = new byte[3 * 1024 * 1024];
    new Random(3).nextBytes(data);
    put(s, "basebackups_005/base_y/tar_partitions/part_00000001.tar.lzo", data);
    proxy.cutNextBodies(2);
    int before = proxy.log().size();
    assertArrayEquals(sha256(data), sha256(get(s, "basebackups_005/base_y/tar_partitions/part_00000001.tar.lzo")));
    var requests = proxy.log().subList(before, proxy.log().size());
    assertEquals(2, requests.stream().filter(l -> l.contains("-> cut at")).count(), requests.toString());
    assertTrue(proxy.cutNextBodies(0).cut() >= 2);
  }

  @Test
  void multipartPartsAreRetriedToo() throws Exception {
    ObjectStore s = store();
    byte[] big = new byte[11 * 1024 * 1024];
    new Random(9).nextBytes(big);
    int before = proxy.served503();
    proxy.failNext(3); // hits the create-upload request and the first parts
    s.put("basebackups_005/base_x/tar_partitions/part_00000000.tar.lzo", new ByteArrayInputStream(big), -1);
    assertEquals(before + 3, proxy.served503());
    assertArrayEquals(sha256(big), sha256(get(s, "basebackups_005/base_x/tar_partitions/part_00000000.tar.lzo")));
  }

  @Test
  void endlessServiceUnavailableFailsLoudlyNotAsMissing() {
    ObjectStore s = store();
    proxy.failNext(1000);
    IOException e = assertThrows(IOException.class, () -> get(s, "wal_005/000000010000000000000001.lzo"));
    assertFalse(e instanceof NoSuchObjectException, e.toString());
    assertTrue(e.getMessage().contains("503") && e.getMessage().contains("SlowDown"), e.getMessage());
    assertTrue(e.getMessage().contains("6 attempts"), e.getMessage());
  }

  @Test
  void wrongCredentialsGiveAClearError() throws Exception {
    put(store(), "wal_005/x.lzo", bytes("x"));
    try (S3Store wrong = new S3Store(server.bucket(), "heroku/db", options("AKIAWRONGKEY00000000"))) {
      int before = proxy.served403();
      StorageAccessException e = assertThrows(StorageAccessException.class,
          () -> put(wrong, "wal_005/000000010000000000000001.lzo", bytes("x")));
      assertEquals("S3 refused access to bucket 'pgferry-archive' (InvalidAccessKeyId) on put "
          + "wal_005/000000010000000000000001.lzo in s3://pgferry-archive/heroku/db at " + proxy.endpoint()
          + ": check the access key and secret (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or archive credentials), "
          + "that they are active and not expired, that they allow s3:GetObject, s3:PutObject and s3:ListBucket on "
          + "this bucket, and the region/endpoint", e.getMessage());
      assertInstanceOf(UsageException.class, e.getCause()); // CLIs exit 2 with this one line
      assertFalse(e.getMessage().contains(S3Server.SECRET_KEY));
      assertEquals(before + 1, proxy.served403(), "a refused key is not retried");
      assertThrows(StorageAccessException.class, () -> get(wrong, "wal_005/x.lzo"));
      assertThrows(StorageAccessException.class, () -> wrong.list(""));
    }
  }

  @Test
  void missingBucketIsAClearError() {
    try (S3Store nobucket = new S3Store("no-such-bucket", "", options(S3Server.ACCESS_KEY))) {
      StorageAccessException e = assertThrows(StorageAccessException.class, () -> nobucket.list(""));
      assertTrue(e.getMessage().contains("'no-such-bucket' does not exist"), e.getMessage());
      // HEAD has no error body: exists() must still not report "no such object" for a missing bucket
      int before = proxy.log().size();
      e = assertThrows(StorageAccessException.class, () -> nobucket.exists("wal_005/x.lzo"),
          () -> proxy.log().subList(before, proxy.log().size()).toString());
      assertTrue(e.getMessage().contains("'no-such-bucket' does not exist"), e.getMessage());
      assertThrows(StorageAccessException.class, () -> nobucket.get("wal_005/x.lzo"));
    }
  }

  @Test
  void unreachableEndpointIsAnIoErrorNamingIt() {
    S3Options o = options(S3Server.ACCESS_KEY).withEndpoint(URI.create("http://127.0.0.1:1"), true)
        .withRetries(2, Duration.ofMillis(10), Duration.ofMillis(20));
    try (S3Store s = new S3Store("b", "p", o)) {
      IOException e = assertThrows(IOException.class, () -> s.exists("x"));
      assertTrue(e.getMessage().contains("endpoint is reachable") && e.getMessage().contains("127.0.0.1:1"),
          e.getMessage());
    }
  }
}
