package io.pgferry.controller.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Cli;
import io.pgferry.common.UsageException;
import io.pgferry.controller.cli.PgferryMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControllerConfigTest {
  @TempDir
  Path tmp;

  @Test
  void withoutTlsAndWithoutInsecureIsAUsageError() {
    UsageException e = assertThrows(UsageException.class, () -> ControllerConfig.parse("c.yaml", "state_dir: /tmp/x\n"));
    assertTrue(e.getMessage().contains("tls is missing"), e.getMessage());
    assertTrue(e.getMessage().contains("insecure: true"), e.getMessage());
  }

  @Test
  void insecureFalseDoesNotTurnTlsOff() {
    assertThrows(UsageException.class, () -> ControllerConfig.parse("c.yaml", "insecure: false\nstate_dir: /tmp/x\n"));
  }

  @Test
  void insecureMustBeExplicitAndDefaultsApply() {
    ControllerConfig config = ControllerConfig.parse("c.yaml", "insecure: true\nstate_dir: /tmp/x\n");
    assertNull(config.linkTls());
    assertEquals("127.0.0.1", config.http().host(), "the API binds to loopback by default");
    assertEquals(7402, config.http().port());
    assertEquals(7400, config.listen().port());
    assertEquals(5_000L, config.leaseMs());
  }

  @Test
  void unknownKeyIsReportedWithItsLine() {
    UsageException e = assertThrows(UsageException.class, () -> ControllerConfig.parse("c.yaml", "insecure: true\nstate_dir: /x\nlisten: {hots: a}\n"));
    assertTrue(e.getMessage().startsWith("c.yaml:3:"), e.getMessage());
    assertTrue(e.getMessage().contains("hots"), e.getMessage());
  }

  @Test
  void unreadableTlsFilesAreAUsageError() {
    ControllerConfig config = ControllerConfig.parse("c.yaml", "tls: {ca: /nope/ca.pem, cert: /nope/c.pem, key: /nope/c.key}\nstate_dir: /tmp/x\n");
    UsageException e = assertThrows(UsageException.class, config::linkTls);
    assertTrue(e.getMessage().contains("/nope/ca.pem"), e.getMessage());
  }

  @Test
  void controllerRunWithBadConfigExitsTwo() throws Exception {
    Path file = tmp.resolve("controller.yaml");
    Files.writeString(file, "state_dir: " + tmp + "\n");
    assertEquals(2, Cli.execute(new PgferryMain(), "controller", "run", "--config", file.toString()));
    assertEquals(2, Cli.execute(new PgferryMain(), "node", "goal", "a", "STREAMING_STANDBY", "--controller", "http://127.0.0.1:1"));
    assertEquals(2, Cli.execute(new PgferryMain(), "node", "goal", "a", "SIDEWAYS"));
  }

  @Test
  void storeIsEmbeddedByDefaultAndEtcdNeedsEndpointsAndASaneTtl() {
    assertFalse(ControllerConfig.parse("c.yaml", "insecure: true\nstate_dir: /tmp/x\n").store().etcd());
    ControllerConfig etcd = ControllerConfig.parse("c.yaml", "insecure: true\nstate_dir: /tmp/x\n"
        + "store: {kind: etcd, endpoints: [127.0.0.1:2379, 127.0.0.1:2380], prefix: /pgferry/prod, lease_ttl: 4s}\n");
    assertTrue(etcd.store().etcd());
    assertEquals(Duration.ofSeconds(4), etcd.store().leaseTtlDuration());
    assertEquals(ControllerConfig.Store.DEFAULT_LEASE_TTL, ControllerConfig.parse("c.yaml", "insecure: true\nstate_dir: /x\n"
        + "store: {kind: etcd, endpoints: [127.0.0.1:2379]}\n").store().leaseTtlDuration());
    for (String bad : List.of("store: {kind: etcd}", "store: {kind: zookeeper}",
        "store: {kind: etcd, endpoints: [h:1], lease_ttl: 1500ms}", "store: {kind: etcd, endpoints: [h:1], prefix: pgferry}")) {
      assertThrows(UsageException.class, () -> ControllerConfig.parse("c.yaml", "insecure: true\nstate_dir: /x\n" + bad + "\n"), bad);
    }
  }
}
