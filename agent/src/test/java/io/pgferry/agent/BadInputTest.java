package io.pgferry.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.cli.AgentMain;
import io.pgferry.agent.config.AgentConfig;
import io.pgferry.common.Cli;
import io.pgferry.common.UsageException;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import io.pgferry.testkit.FreePorts;
import io.pgferry.testkit.PgBinaries;
import io.pgferry.testkit.Workspace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gives one clear line (exit 2 from the CLI); an unreachable upstream is reported and retried. */
class BadInputTest {
  @TempDir
  Path tmp;

  private String yaml(String dataDir, String extra) {
    return "node_id: b\n"
        + "controller: {address: 127.0.0.1:7400, insecure: true}\n"
        + "postgres:\n"
        + "  bin_dir: /usr/lib/postgresql/15/bin\n"
        + "  data_dir: " + dataDir + "\n"
        + extra
        + "state_dir: " + tmp.resolve("state") + "\n";
  }

  @Test
  void unknownKeyIsRefusedWithItsLineAndExitCode2() throws Exception {
    Path file = tmp.resolve("agent.yaml");
    Files.writeString(file, yaml(tmp.resolve("data").toString(), "  bogus_key: 1\n"));
    UsageException e = assertThrows(UsageException.class, () -> AgentConfig.load(file));
    assertTrue(e.getMessage().startsWith(file + ":6:"), e.getMessage());
    assertTrue(e.getMessage().contains("unknown key 'bogus_key'"), e.getMessage());

    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true));
    int code;
    try {
      code = Cli.execute(new AgentMain(), "run", "--config", file.toString());
    } finally {
      System.setErr(err);
    }
    assertEquals(2, code);
    String out = captured.toString().strip();
    assertEquals(1, out.lines().count(), out);
    assertTrue(out.contains("unknown key 'bogus_key'"), out);
  }

  @Test
  void dataDirThatIsNotEmptyAndNotAClusterIsRefused() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("notes.txt"), "not a cluster");
    UsageException e = assertThrows(UsageException.class, () -> AgentConfig.parse("agent.yaml", yaml(data.toString(), "")));
    assertEquals("agent.yaml: postgres.data_dir " + data + " is not empty and holds no PostgreSQL cluster; empty it or point data_dir elsewhere",
        e.getMessage());
    Files.createDirectories(tmp.resolve("state"));
    Files.writeString(tmp.resolve("state").resolve(AgentConfig.STATE_FILE), "{}");
    AgentConfig.parse("agent.yaml", yaml(data.toString(), "")); // managed before, broken since: the agent starts to report it
  }

  /** #13: a pgpass group or others may read is refused at start, naming the file, not its lines. */
  @Test
  void aPasswordFileOthersMayReadIsRefused() throws Exception {
    Path pgpass = Files.writeString(tmp.resolve("pgpass"), "*:*:*:postgres:postgres-secret\n");
    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-r--r--"));
    String text = yaml(tmp.resolve("data").toString(), "  password_file: " + pgpass + "\n");
    UsageException e = assertThrows(UsageException.class, () -> AgentConfig.parse("agent.yaml", text));
    assertTrue(e.getMessage().startsWith("agent.yaml: postgres.password_file " + pgpass + ": the file may be read by"
        + " group or others"), e.getMessage());
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    assertTrue(!e.getMessage().contains("postgres-secret"), e.getMessage());
    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
    AgentConfig.parse("agent.yaml", text);
  }

  @Test
  void missingBinDirAndMissingTlsAreRefused() {
    String text = yaml(tmp.resolve("data").toString(), "").replace("/usr/lib/postgresql/15/bin", "/nonexistent/bin");
    UsageException e = assertThrows(UsageException.class, () -> AgentConfig.parse("agent.yaml", text));
    assertTrue(e.getMessage().contains("postgres.bin_dir /nonexistent/bin does not exist"), e.getMessage());

    String noTls = yaml(tmp.resolve("data").toString(), "").replace(", insecure: true", "");
    UsageException t = assertThrows(UsageException.class, () -> AgentConfig.parse("agent.yaml", noTls));
    assertTrue(t.getMessage().startsWith("agent.yaml: tls is missing"), t.getMessage());
  }

  /** postgres.tls: cert and key both, readable; without it the link's tls serves PostgreSQL's TLS too. */
  @Test
  void postgresTlsNeedsReadableCertAndKey() throws Exception {
    String data = tmp.resolve("data").toString();
    UsageException half = assertThrows(UsageException.class, () -> AgentConfig.parse("agent.yaml",
        yaml(data, "  tls: {cert: /etc/hostname}\n")));
    assertTrue(half.getMessage().contains("postgres.tls needs cert and key"), half.getMessage());
    UsageException missing = assertThrows(UsageException.class, () -> AgentConfig.parse("agent.yaml",
        yaml(data, "  tls: {cert: /etc/hostname, key: /nonexistent/pg.key}\n")));
    assertTrue(missing.getMessage().contains("postgres.tls file /nonexistent/pg.key is not readable"), missing.getMessage());
    AgentConfig ok = AgentConfig.parse("agent.yaml", yaml(data, "  tls: {cert: /etc/hostname, key: /etc/hostname}\n"));
    assertEquals(Path.of("/etc/hostname"), ok.serverTls().orElseThrow().key());
    assertTrue(AgentConfig.parse("agent.yaml", yaml(data, "")).serverTls().isEmpty(), "no tls at all: ssl left alone");
  }

  @Test
  void unreachableUpstreamIsReportedAndRetried() {
    try (Workspace ws = Workspace.create("unreachable");
         NodeAgent agent = new NodeAgent(AgentFixture.config(ws, "b", PgBinaries.forMajor(15)), AgentFixture.fastOptions()).start()) {
      int closedPort = FreePorts.next();
      agent.onAssignment(AgentFixture.standbyOf(1, "127.0.0.1", closedPort), OptionalLong.empty());
      AgentFixture.await("three failed attempts", Duration.ofSeconds(30), () -> agent.transitionFailures() >= 3,
          () -> agent.status().toString());
      Status s = agent.status();
      assertTrue(s.getLastError().contains("127.0.0.1:" + closedPort), s.getLastError());
      assertTrue(s.getState() == NodeState.FAILED || s.getState() == NodeState.INITIALIZING, s.getState().name());
      assertTrue(s.getTransition().startsWith("streaming standby of 127.0.0.1:" + closedPort), s.getTransition());
      assertEquals(NodeState.EMPTY, agent.record().state());
      assertEquals(0, agent.pgBaseBackupRuns());
    }
  }
}
