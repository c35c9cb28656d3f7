package io.pgferry.archive.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.UsageException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArchiveLocationTest {
  @Test
  void fileUrls() {
    ArchiveLocation a = ArchiveLocation.parse("file:///var/lib/pgferry/archive", null);
    assertEquals(ArchiveLocation.Kind.FILE, a.kind());
    assertEquals(Path.of("/var/lib/pgferry/archive"), a.directory());
    assertEquals("file:///var/lib/pgferry/archive", a.url());
    assertEquals(Path.of("/srv/wal"), ArchiveLocation.parse("file://localhost/srv/wal/", null).directory());
    assertInstanceOf(DirStore.class, a.open());
  }

  @Test
  void s3Urls() {
    ArchiveLocation a = ArchiveLocation.parse("s3://heroku-wal/db/prod/", S3Options.DEFAULTS);
    assertEquals(ArchiveLocation.Kind.S3, a.kind());
    assertEquals("heroku-wal", a.bucket());
    assertEquals("db/prod", a.prefix());
    assertEquals("s3://heroku-wal/db/prod", a.url());
    assertEquals("", ArchiveLocation.parse("s3://bucket.with.dots", null).prefix());
  }

  @Test
  void badUrlsSayWhatToDo() {
    assertUsage("", "archive URL is empty");
    assertUsage("/var/archive", "has no scheme");
    assertUsage("file:relative/dir", "needs an absolute path");
    assertUsage("file://otherhost/dir", "host 'otherhost'");
    assertUsage("file:///", "no directory");
    assertUsage("gs://bucket/x", "scheme 'gs' is not supported");
    assertUsage("s3://", "no bucket");
    assertUsage("s3://Bad_Bucket/x", "not a valid bucket name");
    assertUsage("s3://ab/x", "not a valid bucket name");
    assertUsage("s3://key:secret@bucket/x", "do not put credentials in the URL");
    assertUsage("s3://bucket:9000/x", "not a valid bucket name");
    assertUsage("s3://bucket/x?versionId=1", "no ?query");
    assertUsage("http ://x", "is not a URL");
  }

  private static void assertUsage(String url, String expected) {
    UsageException e = assertThrows(UsageException.class, () -> ArchiveLocation.parse(url, S3Options.DEFAULTS));
    assertTrue(e.getMessage().contains(expected), url + " -> " + e.getMessage());
  }

  @Test
  void walEEnvironment() {
    ArchiveLocation a = ArchiveLocation.fromEnvironment(Map.of(
        "WALE_S3_PREFIX", "s3://heroku-backups/abc123",
        "AWS_ACCESS_KEY_ID", "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY", "s3cr3t-value",
        "AWS_SECURITY_TOKEN", "token",
        "AWS_REGION", "eu-west-1",
        "WALE_S3_ENDPOINT", "http+path://127.0.0.1:9000"), null).orElseThrow();
    assertEquals("heroku-backups", a.bucket());
    assertEquals("abc123", a.prefix());
    assertEquals("eu-west-1", a.s3().region());
    assertEquals(URI.create("http://127.0.0.1:9000"), a.s3().endpoint());
    assertTrue(a.s3().pathStyle());
    assertEquals(new S3Credentials("AKIAEXAMPLE", "s3cr3t-value", "token"), a.s3().credentials());
    assertFalse(a.s3().credentials().toString().contains("s3cr3t-value"));
    assertFalse(a.s3().credentials().toString().contains("token"));

    ArchiveLocation vhost = ArchiveLocation.fromEnvironment(Map.of("WALE_S3_PREFIX", "s3://b1b/p",
        "WALE_S3_ENDPOINT", "https+virtualhost://s3.example.com"), null).orElseThrow();
    assertFalse(vhost.s3().pathStyle());
    assertEquals(URI.create("https://s3.example.com"), vhost.s3().endpoint());
    assertNull(vhost.s3().credentials()); // the SDK's default chain

    ArchiveLocation file = ArchiveLocation.fromEnvironment(Map.of("WALE_FILE_PREFIX",
        "file://localhost/var/wal-e"), null).orElseThrow();
    assertEquals(Path.of("/var/wal-e"), file.directory());
  }

  @Test
  void walGEnvironmentWinsOverWalE() {
    ArchiveLocation a = ArchiveLocation.fromEnvironment(Map.of(
        "WALG_S3_PREFIX", "s3://walg-bucket/x",
        "WALE_S3_PREFIX", "s3://wale-bucket/y",
        "AWS_ENDPOINT", "http://minio:9000",
        "AWS_S3_FORCE_PATH_STYLE", "true",
        "WALE_S3_ENDPOINT", "https+virtualhost://ignored.example.com",
        "AWS_DEFAULT_REGION", "us-west-2"), null).orElseThrow();
    assertEquals("walg-bucket", a.bucket());
    assertEquals(URI.create("http://minio:9000"), a.s3().endpoint());
    assertTrue(a.s3().pathStyle());
    assertEquals("us-west-2", a.s3().region());
    assertEquals(Path.of("/data/walg"),
        ArchiveLocation.fromEnvironment(Map.of("WALG_FILE_PREFIX", "/data/walg"), null).orElseThrow().directory());
    assertTrue(ArchiveLocation.fromEnvironment(Map.of("HOME", "/root"), null).isEmpty());
  }

  @Test
  void badEnvironmentSaysWhatToDo() {
    assertEnvUsage(Map.of("WALE_S3_PREFIX", "s3://b1b/x", "WALE_FILE_PREFIX", "file:///x"), "both an S3 prefix");
    assertEnvUsage(Map.of("WALE_S3_PREFIX", "bucket/x"), "must look like s3://bucket/path");
    assertEnvUsage(Map.of("WALE_S3_PREFIX", "s3://b1b/x", "WALE_S3_ENDPOINT", "http://host:9000"),
        "expected http[s]+path|virtualhost|subdomain://");
    assertEnvUsage(Map.of("WALE_S3_PREFIX", "s3://b1b/x", "WALE_S3_ENDPOINT", "http+weird://host"),
        "calling convention 'weird'");
    assertEnvUsage(Map.of("WALG_S3_PREFIX", "s3://b1b/x", "AWS_ENDPOINT", "minio:9000"), "AWS_ENDPOINT");
    assertEnvUsage(Map.of("WALG_S3_PREFIX", "s3://b1b/x", "AWS_ENDPOINT", "http://m:9000",
        "AWS_S3_FORCE_PATH_STYLE", "maybe"), "AWS_S3_FORCE_PATH_STYLE='maybe'");
    assertEnvUsage(Map.of("WALG_S3_PREFIX", "s3://b1b/x", "AWS_ACCESS_KEY_ID", "AKIA"), "only one of");
  }

  private static void assertEnvUsage(Map<String, String> env, String expected) {
    UsageException e = assertThrows(UsageException.class, () -> ArchiveLocation.fromEnvironment(env, null));
    assertTrue(e.getMessage().contains(expected), env + " -> " + e.getMessage());
  }

  @Test
  void resolveTakesTheFlagThenTheEnvironmentThenTheConfig() {
    S3Options config = S3Options.DEFAULTS.withRegion("ap-south-1");
    Map<String, String> env = Map.of("WALE_S3_PREFIX", "s3://env-bucket/q", "AWS_REGION", "eu-west-1",
        "AWS_ENDPOINT", "http://h:1");
    ArchiveLocation a = ArchiveLocation.resolve("s3://flag-bucket/p", "s3://cfg-bucket/p", config, env);
    assertEquals("flag-bucket", a.bucket());
    assertEquals("ap-south-1", a.s3().region()); // the config's S3 settings win over AWS_REGION
    assertEquals(URI.create("http://h:1"), a.s3().endpoint()); // ... and AWS_* fill what they leave unset
    assertEquals("env-bucket", ArchiveLocation.resolve(null, "s3://cfg-bucket/p", config, env).bucket());
    assertEquals("cfg-bucket", ArchiveLocation.resolve(" ", "s3://cfg-bucket/p", config, Map.of()).bucket());
    UsageException e = assertThrows(UsageException.class, () -> ArchiveLocation.resolve(" ", null, config, Map.of()));
    assertTrue(e.getMessage().startsWith("no archive given: pass --archive"), e.getMessage());
  }

  @Test
  void s3OptionsRejectPartsS3WouldRefuse() {
    UsageException e = assertThrows(UsageException.class,
        () -> S3Options.DEFAULTS.withMultipart(8L << 20, 1L << 20));
    assertTrue(e.getMessage().contains("below S3's minimum of 5 MiB"), e.getMessage());
  }
}
