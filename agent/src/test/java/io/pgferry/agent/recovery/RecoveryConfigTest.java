package io.pgferry.agent.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.proto.HbaRule;
import io.pgferry.proto.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryConfigTest {
  private static final String USER_CONF = "# the user's settings\nshared_buffers = 64MB\n";
  private static final String USER_HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n";

  @TempDir
  Path dir;

  private RecoveryConfig.Standby standby() {
    Upstream u = Upstream.newBuilder().setHost("10.0.0.5").setPort(5432).setUser("replicator").setSlotName("b_slot").build();
    return new RecoveryConfig.Standby(RecoveryConfig.conninfo(u, "b", Path.of("/etc/pgferry/pgpass")), "b_slot", null);
  }

  @Test
  void pg11WritesRecoveryConfAndIsIdempotent() throws Exception {
    Files.writeString(dir.resolve("postgresql.conf"), USER_CONF);
    Files.writeString(dir.resolve("pg_hba.conf"), USER_HBA);
    RecoveryConfig rc = new RecoveryConfig(dir);
    assertTrue(rc.apply(11, Map.of("port", "5433"), Optional.of(standby())));
    String recovery = Files.readString(dir.resolve("recovery.conf"));
    assertEquals("# written by pgferry-agent\nstandby_mode = 'on'\n"
        + "primary_conninfo = 'host=10.0.0.5 port=5432 user=replicator application_name=b passfile=/etc/pgferry/pgpass'\n"
        + "primary_slot_name = 'b_slot'\nrecovery_target_timeline = 'latest'\n", recovery);
    assertFalse(Files.exists(dir.resolve("standby.signal")));
    assertEquals("# pgferry-agent owns this file and rewrites it; put your settings in postgresql.conf\nport = '5433'\n",
        Files.readString(dir.resolve("pgferry.conf")));
    assertEquals(USER_CONF + ManagedBlock.BEGIN + "\ninclude_if_exists = 'pgferry.conf'\n" + ManagedBlock.END + "\n",
        Files.readString(dir.resolve("postgresql.conf")));

    FileTime before = Files.getLastModifiedTime(dir.resolve("recovery.conf"));
    Files.setLastModifiedTime(dir.resolve("postgresql.conf"), FileTime.fromMillis(1000));
    assertFalse(rc.apply(11, Map.of("port", "5433"), Optional.of(standby())), "same content: nothing rewritten");
    assertEquals(before, Files.getLastModifiedTime(dir.resolve("recovery.conf")));
    assertEquals(FileTime.fromMillis(1000), Files.getLastModifiedTime(dir.resolve("postgresql.conf")));

    List<HbaRule> rules = List.of(HbaRule.newBuilder().setType("host").setDatabase("replication").setUser("replicator")
        .setAddress("10.0.0.7/32").setMethod("scram-sha-256").build());
    assertTrue(rc.applyHba(rules));
    assertEquals(ManagedBlock.BEGIN + "\nhost replication replicator 10.0.0.7/32 scram-sha-256\n" + ManagedBlock.END + "\n" + USER_HBA,
        Files.readString(dir.resolve("pg_hba.conf")));
    assertFalse(rc.applyHba(rules));
    assertTrue(rc.applyHba(List.of()));
    assertEquals(USER_HBA, Files.readString(dir.resolve("pg_hba.conf")), "an empty rule list removes only the block");
  }

  @Test
  void pg15WritesStandbySignalAndSettingsInTheManagedFile() throws Exception {
    Files.writeString(dir.resolve("postgresql.conf"), USER_CONF);
    RecoveryConfig rc = new RecoveryConfig(dir);
    assertTrue(rc.apply(15, Map.of("port", "5433"), Optional.of(standby())));
    assertTrue(Files.exists(dir.resolve("standby.signal")));
    assertFalse(Files.exists(dir.resolve("recovery.conf")));
    String managed = Files.readString(dir.resolve("pgferry.conf"));
    assertTrue(managed.contains("primary_conninfo = 'host=10.0.0.5 port=5432 user=replicator application_name=b passfile=/etc/pgferry/pgpass'\n"), managed);
    assertTrue(managed.contains("recovery_target_timeline = 'latest'\n"), managed);
    assertFalse(managed.contains("password="), managed);
    assertFalse(rc.apply(15, Map.of("port", "5433"), Optional.of(standby())));
    assertTrue(rc.isStandbyConfigured(15));
  }

  @Test
  void anArchiveReplicaOnPg11WritesNoEmptyPrimaryConninfo() throws Exception {
    Files.writeString(dir.resolve("postgresql.conf"), USER_CONF);
    assertTrue(new RecoveryConfig(dir).apply(11, Map.of(), Optional.of(new RecoveryConfig.Standby("", null, "cp /a/%f %p"))));
    assertEquals("# written by pgferry-agent\nstandby_mode = 'on'\nrecovery_target_timeline = 'latest'\n"
        + "restore_command = 'cp /a/%f %p'\n", Files.readString(dir.resolve("recovery.conf")));
  }

  @Test
  void conninfoQuotesValuesWithSpacesAndQuotes() {
    Upstream u = Upstream.newBuilder().setHost("db host").setPort(5432).setUser("o'neil").setDbname("app").build();
    assertEquals("host='db host' port=5432 user='o\\'neil' application_name=b dbname=app", RecoveryConfig.conninfo(u, "b", null));
  }
}
