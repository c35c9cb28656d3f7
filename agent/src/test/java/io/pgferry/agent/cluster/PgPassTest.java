package io.pgferry.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgPassTest {
  @TempDir
  Path dir;

  @Test
  void findsTheFirstMatchingLineOfAnOwnerOnlyFile() throws Exception {
    Path f = dir.resolve("pgpass");
    Files.writeString(f, "# comment\n10.0.0.5:5432:replication:repl:r\\:pw\n*:*:*:postgres:su\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    assertEquals(Optional.of("r:pw"), PgPass.lookup(f, "10.0.0.5", 5432, "replication", "repl"));
    assertEquals(Optional.of("su"), PgPass.lookup(f, "h", 1, "d", "postgres"));
    assertEquals(Optional.empty(), PgPass.lookup(f, "h", 1, "d", "app"));
  }

  @Test
  void refusesAFileGroupOrOthersMayRead() throws Exception {
    Path f = dir.resolve("pgpass");
    Files.writeString(f, "*:*:*:postgres:su\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    UsageException e = assertThrows(UsageException.class, () -> PgPass.lookup(f, "h", 1, "d", "postgres"));
    assertTrue(e.getMessage().contains("postgres.password_file " + f), e.getMessage());
    assertTrue(e.getMessage().contains("group or others") && e.getMessage().contains("chmod 600"), e.getMessage());
    assertFalse(e.getMessage().contains("su\n"));
  }
}
