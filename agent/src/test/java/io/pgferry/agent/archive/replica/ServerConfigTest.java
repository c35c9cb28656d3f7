package io.pgferry.agent.archive.replica;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pg_hba.conf written for a restored cluster admits the local socket and loopback only. */
class ServerConfigTest {
  @TempDir Path dir;

  @Test
  void writtenHbaHasNoNetworkWideEntry() throws Exception {
    for (String major : new String[] {"11", "15"}) {
      Path data = Files.createDirectories(dir.resolve("pg" + major));
      Files.writeString(data.resolve("PG_VERSION"), major + "\n");
      ServerConfig.writeIfAbsent(data, Map.of("port", "5432"));
      String hba = Files.readString(data.resolve("pg_hba.conf"));
      String method = major.equals("11") ? "md5" : "scram-sha-256";
      assertFalse(hba.contains("0.0.0.0") || hba.contains("::/0"), hba);
      assertTrue(hba.matches("(?s).*host\\s+all\\s+all\\s+127\\.0\\.0\\.1/32\\s+" + method + "\n.*"), hba);
      assertTrue(hba.matches("(?s).*local\\s+replication\\s+all\\s+peer\n.*"), hba);
      assertFalse(hba.lines().anyMatch(l -> l.startsWith("host") && !l.contains("127.0.0.1/32") && !l.contains("::1/128")),
          "every network line is loopback: " + hba);
    }
  }
}
