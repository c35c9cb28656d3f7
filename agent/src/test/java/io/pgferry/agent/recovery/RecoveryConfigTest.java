package io.pgferry.agent.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.proto.HbaRule;
import io.pgferry.proto.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
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

  /** ssl = on with the agent's files copied 0600 into the data dir; the standby verifies its upstream with the copy of the CA. */
  @Test
  void tlsFilesAreCopiedOwnerOnlyAndTurnSslOn() throws Exception {
    Path certs = Files.createDirectories(dir.resolve("certs"));
    Files.writeString(certs.resolve("a.pem"), "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n");
    Files.writeString(certs.resolve("a.key"), "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n");
    Files.writeString(certs.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("postgresql.conf"), USER_CONF);
    RecoveryConfig rc = new RecoveryConfig(data, new ServerTls(certs.resolve("a.pem"), certs.resolve("a.key"), certs.resolve("ca.pem")), null);
    Upstream u = Upstream.newBuilder().setHost("10.0.0.5").setPort(5432).setUser("replicator").setSslmode("verify-full").build();
    String conninfo = RecoveryConfig.conninfo(u, "b", null, rc.standbyRootCert());
    assertEquals("host=10.0.0.5 port=5432 user=replicator application_name=b sslmode=verify-full sslrootcert="
        + data.resolve(ServerTls.CA_FILE), conninfo);
    assertTrue(rc.apply(15, Map.of("port", "5433"), Optional.of(new RecoveryConfig.Standby(conninfo, null, null))));
    String managed = Files.readString(data.resolve("pgferry.conf"));
    assertTrue(managed.contains("ssl = 'on'\nssl_cert_file = 'pgferry-server.crt'\nssl_key_file = 'pgferry-server.key'\n"
        + "ssl_ca_file = 'pgferry-ca.crt'\n"), managed);
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(data.resolve(ServerTls.KEY_FILE))), "PostgreSQL refuses a key others may read");
    assertEquals(Files.readString(certs.resolve("a.key")), Files.readString(data.resolve(ServerTls.KEY_FILE)));
    assertFalse(rc.apply(15, Map.of("port", "5433"), Optional.of(new RecoveryConfig.Standby(conninfo, null, null))),
        "same files: nothing rewritten");
    Upstream plain = u.toBuilder().setSslmode("require").build();
    assertEquals("host=10.0.0.5 port=5432 user=replicator application_name=b sslmode=require",
        RecoveryConfig.conninfo(plain, "b", null, rc.standbyRootCert()), "require needs no CA");
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
