package io.pgferry.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {
  @TempDir
  Path dir;

  @Test
  void redactsEveryFormOfAPassword() {
    assertEquals("postgres://app:***@db.example:5432/shop",
        Secrets.redact("postgres://app:p@ss@db.example:5432/shop"));
    assertEquals("connect to postgresql://u:***@10.0.0.5/db failed",
        Secrets.redact("connect to postgresql://u:s3cr3t@10.0.0.5/db failed"));
    assertEquals("app:***@db.example:5432", Secrets.redact("app:hunter2@db.example:5432"));
    assertEquals("login :***@host refused", Secrets.redact("login :hunter2@host refused"));
    assertEquals("host=h user=u password=*** dbname=d", Secrets.redact("host=h user=u password=hunter2 dbname=d"));
    assertEquals("host=h password=*** dbname=d", Secrets.redact("host=h password='hun ter\\'2' dbname=d"));
    assertEquals("PGPASSWORD=*** psql", Secrets.redact("PGPASSWORD=hunter2 psql"));
    assertEquals("{\"user\":\"u\",\"password\":\"***\",\"n\":1}",
        Secrets.redact("{\"user\":\"u\",\"password\":\"hun\\\"ter2\",\"n\":1}"));
    assertEquals("{\"api_token\": \"***\"}", Secrets.redact("{\"api_token\": \"abc123\"}"));
    assertEquals("Authorization: Bearer ***", Secrets.redact("Authorization: Bearer abc123"));
    String pem = "bad url: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n";
    assertFalse(Secrets.redact(pem).contains("MIIEvQIBADANBg"), Secrets.redact(pem));
    assertEquals(Map.of("url", "postgres://u:***@h/d"), Secrets.redact(Map.of("url", "postgres://u:pw@h/d")));
  }

  @Test
  void aPasswordHoldingAtSignsEndsAtTheLastOneBeforeTheHost() {
    assertEquals("user:***@host", Secrets.redact("user:p@ss@host"));
    assertEquals(":***@host", Secrets.redact(":p@ss@host"));
    assertEquals("login u:***@db.example:5432 refused", Secrets.redact("login u:p@ss@db.example:5432 refused"));
    assertEquals("postgres://u:***@h:5432/db", Secrets.redact("postgres://u:p@ss@h:5432/db"));
  }

  @Test
  void aPasswordInsideAJsonStringLeavesTheJsonValid() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (String in : new String[] {"{\"m\":\"host=x password=s3cr3t\"}", "{\"m\":\"password=s3cr3t\",\"n\":1}",
        "{\"m\":\"password=s3\\\"cr3t\"}"}) {
      String out = Secrets.redact(in);
      assertFalse(out.contains("s3") || out.contains("cr3t"), out);
      json.readTree(out);
    }
    assertEquals("{\"m\":\"host=x password=***\"}", Secrets.redact("{\"m\":\"host=x password=s3cr3t\"}"));
    assertEquals("password=*** dbname=d", Secrets.redact("password=s3\"cr3t dbname=d"));
  }

  @Test
  void leavesTextWithoutSecretsAlone() {
    for (String s : new String[] {"postgres://app@db.example:5432/shop", "step cutover_1.repoint_app done at 12:30",
        "lsn 0/5000000 replayed", "host=h user=u dbname=d", "{\"phase\": \"CUTOVER_1\"}", "node a@10.0.0.5"}) {
      assertEquals(s, Secrets.redact(s));
    }
  }

  @Test
  void aMissingVariableIsNamedNotGuessed() {
    UsageException e = assertThrows(UsageException.class,
        () -> Secrets.resolve("env:PGFERRY_SURELY_UNSET_VARIABLE", "app.password"));
    assertEquals("app.password: env:PGFERRY_SURELY_UNSET_VARIABLE is not set", e.getMessage());
  }

  @Test
  void aSecretFileMustBeTheOwnersOnly() throws Exception {
    Path f = dir.resolve("pw");
    Files.writeString(f, "hunter2\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    UsageException loose = assertThrows(UsageException.class, () -> Secrets.resolve("file:" + f, "app.password"));
    assertTrue(loose.getMessage().startsWith("app.password: file:" + f + ": the file may be read by group or others"),
        loose.getMessage());
    assertTrue(loose.getMessage().contains("chmod 600"), loose.getMessage());
    assertFalse(loose.getMessage().contains("hunter2"));

    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
    assertEquals("hunter2", Secrets.resolve("file:" + f, "app.password"));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    assertEquals("hunter2", Secrets.resolve("file:" + f, "app.password"));

    UsageException missing = assertThrows(UsageException.class,
        () -> Secrets.resolve("file:" + dir.resolve("nope"), "target.url"));
    assertEquals("target.url: file:" + dir.resolve("nope") + ": no such file", missing.getMessage());
    UsageException directory = assertThrows(UsageException.class, () -> Secrets.resolve("file:" + dir, "target.url"));
    assertTrue(directory.getMessage().endsWith("not a regular file"), directory.getMessage());
  }
}
