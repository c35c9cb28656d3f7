package io.pgferry.agent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.config.AgentConfig;
import io.pgferry.common.UsageException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** agent.yaml controller.address: one host:port (as before) or a list of them (several controllers on etcd). */
class ControllerAddressesTest {
  @TempDir
  Path tmp;

  private AgentConfig parse(String address) {
    return AgentConfig.parse("agent.yaml", "node_id: b\n"
        + "controller: {address: " + address + ", insecure: true}\n"
        + "postgres: {bin_dir: /usr/lib/postgresql/15/bin, data_dir: " + tmp.resolve("data") + "}\n"
        + "state_dir: " + tmp.resolve("state") + "\n");
  }

  @Test
  void oneAddressOrAList() {
    assertEquals(List.of("127.0.0.1:7400"), parse("127.0.0.1:7400").controller().address());
    assertEquals(List.of("10.0.0.1:7400", "10.0.0.2:7400", "[::1]:7400"),
        parse("[10.0.0.1:7400, 10.0.0.2:7400, '[::1]:7400']").controller().address());
  }

  @Test
  void everyAddressIsChecked() {
    UsageException e = assertThrows(UsageException.class, () -> parse("[10.0.0.1:7400, nope]"));
    assertTrue(e.getMessage().contains("controller.address 'nope' is not host:port"), e.getMessage());
  }
}
