package io.pgferry.agent.archive.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restored cluster is sized to what PostgreSQL may use: the host's memory, or the agent's cgroup limit when lower. */
class MemoryBudgetTest {
  @TempDir
  Path root;

  private Path proc(String cgroupLine) throws Exception {
    Path proc = Files.createDirectories(root.resolve("proc/self"));
    Files.writeString(root.resolve("proc/meminfo"), "MemTotal:       24000000 kB\nMemFree: 1 kB\n");
    Files.writeString(proc.resolve("cgroup"), cgroupLine + "\n");
    return root.resolve("proc");
  }

  @Test
  void theUnitsMemoryMaxWinsOverTheHostsMemory() throws Exception {
    Path proc = proc("0::/system.slice/pgferry-agent.service");
    Path cg = Files.createDirectories(root.resolve("cgroup/system.slice/pgferry-agent.service"));
    Files.writeString(cg.resolve("memory.max"), "4294967296\n");
    Files.writeString(cg.getParent().resolve("memory.max"), "max\n");
    MemoryBudget b = MemoryBudget.of(proc, root.resolve("cgroup"));
    assertEquals(4L << 30, b.bytes());
    assertTrue(b.source().contains("pgferry-agent.service/memory.max"), b.source());
    assertEquals("1024MB", ServerConfig.choose(b.bytes(), 2, 5432, "*", Map.of()).get("shared_buffers"),
        "a quarter of the 4 GiB PostgreSQL may use, not of the host's 23 GiB");
  }

  @Test
  void noLimitMeansTheHostsMemoryAndV1IsRead() throws Exception {
    Path proc = proc("0::/system.slice/pgferry-agent.service");
    assertEquals(24000000L * 1024, MemoryBudget.of(proc, root.resolve("cgroup")).bytes());
    Files.writeString(root.resolve("proc/self/cgroup"), "4:memory:/pgferry\n1:name=systemd:/x\n");
    Path v1 = Files.createDirectories(root.resolve("cgroup/memory/pgferry"));
    Files.writeString(v1.resolve("memory.limit_in_bytes"), "2147483648\n");
    assertEquals(2L << 30, MemoryBudget.of(proc, root.resolve("cgroup")).bytes());
    Files.writeString(v1.resolve("memory.limit_in_bytes"), "9223372036854771712\n"); // v1's "no limit"
    assertEquals(24000000L * 1024, MemoryBudget.of(proc, root.resolve("cgroup")).bytes());
  }
}
